import { create, type Message } from "@bufbuild/protobuf";
import type { CodecName } from "../client-types.js";
import { Code } from "../code.js";
import type { Compression } from "../compression.js";
import {
  compressMessage,
  decompressMessage,
  negotiateServerCompression,
} from "../compression-negotiation.js";
import { ConnectError } from "../connect-error.js";
import {
  type Envelope,
  EnvelopeDecoder,
  encodeEnvelope,
  FLAG_COMPRESSED,
  FLAG_END_STREAM,
  singleEnvelope,
} from "../envelope.js";
import {
  callStreaming,
  callUnary,
  directImplementation,
  serverCallFields,
} from "../handler-call.js";
import {
  type CallContext,
  responseHeadersOf,
  responseTrailersOf,
  withContext,
} from "../handler-context.js";
import type { HandlerSignal } from "../handler-signal.js";
import { readRequestMessages } from "../message-reader.js";
import type { ServerRequest, ServerResponse } from "../http.js";
import { Metadata } from "../metadata.js";
import type { HandlerMethodConfig } from "../protocol.js";
import type { Serializer } from "../serialization.js";
import {
  closeIterator,
  StreamBody,
  type StreamBodyShape,
  type StreamSource,
} from "../stream-body.js";
import { encodeEndStream } from "./end-stream.js";
import { StartFailure, startCall } from "./handler-start.js";
import {
  headerStreamAcceptEncoding,
  headerStreamEncoding,
  streamContentType,
} from "./request-header.js";

/** What the Connect streams of one method share. */
interface ConnectStreamShape extends StreamBodyShape {
  readonly registry: HandlerMethodConfig["registry"];
}

/** Builds the handler of a streaming method. */
export function createStreamHandler(
  config: HandlerMethodConfig,
): (req: ServerRequest, codec: CodecName) => Promise<ServerResponse> {
  const { service, method, readMaxBytes } = config;
  const kind = method.methodKind;
  const acceptEncoding =
    config.compression.length > 0 ? config.compression.map((c) => c.name).join(", ") : undefined;
  // A method without interceptors calls its implementation directly: no
  // request and response objects, and no wrapper around what it yields.
  const impl = directImplementation(config.call);
  const shape: ConnectStreamShape = {
    output: method.output,
    writeMaxBytes: config.writeMaxBytes,
    compressMinBytes: config.compressMinBytes,
    registry: config.registry,
  };
  return async (req, codec) => {
    const headers = new Metadata();
    headers.set("content-type", streamContentType(codec));
    if (acceptEncoding !== undefined) headers.set(headerStreamAcceptEncoding, acceptEncoding);
    let context: CallContext | undefined;
    let call: HandlerSignal | undefined;
    let compression: Compression | undefined;
    const { input, output } = config.serializers(codec);
    let first: Message | undefined;
    let rest: AsyncIterator<unknown> | undefined;
    let header: Metadata | undefined;
    let trailer: Metadata | undefined;
    try {
      const start = startCall(req, config, undefined);
      context = start.context;
      call = start.call;
      const negotiated = negotiateServerCompression(
        config.compression,
        req.headers.get(headerStreamEncoding),
        req.headers.get(headerStreamAcceptEncoding),
      );
      compression = negotiated.response;
      const requestCompression = negotiated.request;
      let message: Message | AsyncIterable<Message>;
      if (kind === "server_streaming") {
        message = await readSingle(req, readMaxBytes, requestCompression, input.parse, call);
      } else {
        message = readRequests(req, readMaxBytes, requestCompression, input.parse);
      }
      if (impl !== undefined) {
        if (kind === "client_streaming") {
          const produced = callUnary(impl, method.output, message, context);
          first = produced instanceof Promise ? await call.race(produced) : produced;
        } else {
          rest = callStreaming(impl, method.output, message, context);
        }
      } else {
        const fields = serverCallFields(req, service, method, call.signal, start.timeoutMs);
        const response = await call.race(
          config.call(
            withContext(
              kind === "server_streaming"
                ? { ...fields, stream: false, message: message as Message }
                : { ...fields, stream: true, message: message as AsyncIterable<Message> },
              context,
            ),
          ),
        );
        header = response.header;
        trailer = response.trailer;
        if (response.stream) rest = response.message[Symbol.asyncIterator]();
        else first = response.message;
      }
      if (rest !== undefined) {
        const r = await call.race(rest.next());
        if (!r.done) first = create(method.output, r.value as Message);
      }
      if (impl !== undefined) header = responseHeadersOf(context);
    } catch (thrown) {
      let e = thrown;
      if (e instanceof StartFailure) {
        context = e.context;
        e = e.cause;
      }
      const err = ConnectError.from(e);
      const own = context === undefined ? undefined : responseHeadersOf(context);
      if (own !== undefined) headers.merge(own);
      headers.set("content-type", streamContentType(codec));
      // The end-stream message may be compressed: the header must say with what.
      if (compression !== undefined) headers.set(headerStreamEncoding, compression.name);
      const trailers = context === undefined ? undefined : responseTrailersOf(context);
      const body = await endFrame(shape, compression, trailers, err);
      closeIterator(rest);
      call?.cleanup();
      req.body.cancel();
      return { status: 200, headers, body };
    }
    // The handler has produced its first message (or finished): headers are final now.
    // The protocol's own headers win over any an interceptor or handler set.
    if (header !== undefined) headers.merge(header);
    headers.set("content-type", streamContentType(codec));
    if (compression !== undefined) headers.set(headerStreamEncoding, compression.name);
    const source: StreamSource = { first, rest, trailer, context };
    return {
      status: 200,
      headers,
      body: new ConnectStreamBody(shape, output, compression, call, req, source),
    };
  };
}

/** A Connect stream's body: its messages, then the end-stream message. */
class ConnectStreamBody extends StreamBody {
  readonly #shape: ConnectStreamShape;

  constructor(
    shape: ConnectStreamShape,
    serializer: Serializer<Message>,
    compression: Compression | undefined,
    call: HandlerSignal,
    req: ServerRequest,
    source: StreamSource,
  ) {
    super(shape, serializer, compression, call, req, source);
    this.#shape = shape;
  }

  protected end(
    trailers: Metadata | undefined,
    error: ConnectError | undefined,
  ): Uint8Array | Promise<Uint8Array> {
    return endFrame(this.#shape, this.compression, trailers, error);
  }
}

/**
 * The end-stream message of a call, compressed when it is worth it and
 * compresses; without compression, at once.
 */
function endFrame(
  shape: ConnectStreamShape,
  compression: Compression | undefined,
  trailers: Metadata | undefined,
  error: ConnectError | undefined,
): Uint8Array | Promise<Uint8Array> {
  const bytes = encodeEndStream(trailers ?? noTrailers, error, shape.registry);
  if (compression === undefined || bytes.length < shape.compressMinBytes) {
    return encodeEnvelope(FLAG_END_STREAM, bytes);
  }
  return compressMessage(compression, bytes).then(
    (compressed) => encodeEnvelope(FLAG_COMPRESSED | FLAG_END_STREAM, compressed),
    // The end of the stream must go out whatever happens.
    () => encodeEnvelope(FLAG_END_STREAM, bytes),
  );
}

/** Read-only by use: the trailers of a call that set none. */
const noTrailers = new Metadata();

/** Reads the one request of a server-streaming call: exactly one envelope. */
async function readSingle(
  req: ServerRequest,
  readMaxBytes: number,
  compression: Compression | undefined,
  parse: (data: Uint8Array) => Message,
  call: HandlerSignal,
): Promise<Message> {
  const bytes = await call.race(req.body.readAll(readMaxBytes + 5));
  let one = singleEnvelope(bytes, readMaxBytes);
  if (one === undefined) {
    // Not one whole frame within the limit: the decoder says what is wrong.
    const decoder = new EnvelopeDecoder(readMaxBytes);
    const frames = decoder.push(bytes);
    decoder.end();
    if (frames.length !== 1) {
      // Unimplemented, as gRPC answers a server-streaming call without exactly one request.
      throw new ConnectError(
        `protocol error: want exactly one request message, got ${frames.length}`,
        Code.Unimplemented,
      );
    }
    one = frames[0]!;
  }
  const payload = requestPayload(one.flags, one.data, compression, readMaxBytes);
  return parse(payload instanceof Uint8Array ? payload : await payload);
}

function readRequests(
  req: ServerRequest,
  readMaxBytes: number,
  compression: Compression | undefined,
  parse: (data: Uint8Array) => Message,
): AsyncIterable<Message> {
  const payload = (env: Envelope) => requestPayload(env.flags, env.data, compression, readMaxBytes);
  return readRequestMessages(req.body, readMaxBytes, payload, parse);
}

/** The payload of a request frame; decompressed (later) if it is flagged so. */
function requestPayload(
  flags: number,
  data: Uint8Array,
  compression: Compression | undefined,
  readMaxBytes: number,
): Uint8Array | Promise<Uint8Array> {
  if ((flags & FLAG_END_STREAM) !== 0) {
    throw new ConnectError("protocol error: end-stream flag in a request", Code.InvalidArgument);
  }
  if ((flags & FLAG_COMPRESSED) === 0) return data;
  if (compression === undefined) {
    throw new ConnectError(
      "protocol error: compressed message but the request names no encoding",
      Code.Internal,
    );
  }
  return decompressMessage(compression, data, readMaxBytes);
}
