import { create, type Message } from "@bufbuild/protobuf";
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
  FLAG_TRAILERS,
  singleEnvelope,
} from "../envelope.js";
import { grpcWebContentTypeBase } from "../grpc-web/request-header.js";
import { encodeTrailerBlock } from "../grpc-web/trailer-frame.js";
import { readRequestMessages } from "../message-reader.js";
import {
  callStreaming,
  callUnary,
  directImplementation,
  serverCallFields,
} from "../handler-call.js";
import {
  CallContext,
  responseHeadersOf,
  responseTrailersOf,
  withContext,
} from "../handler-context.js";
import { HandlerSignal } from "../handler-signal.js";
import type { ServerRequest, UniversalHandler } from "../http.js";
import { Metadata } from "../metadata.js";
import type { HandlerMethodConfig } from "../protocol.js";
import type { Serializer } from "../serialization.js";
import {
  closeIterator,
  StreamBody,
  type StreamBodyShape,
  type StreamSource,
} from "../stream-body.js";
import {
  grpcContentTypeBase,
  headerAcceptEncoding,
  headerEncoding,
  parseGrpcContentType,
} from "./request-header.js";
import { parseGrpcTimeout, TIMEOUT_HEADER } from "./timeout.js";
import { setStatusTrailers } from "./trailer-status.js";

// One implementation serves gRPC and gRPC-Web: they differ only in where the
// status goes (HTTP trailers, or a last frame flagged 0x80).

/**
 * Builds the handler of one method for gRPC (or, with `web`, gRPC-Web). Every
 * call kind is answered the same way: HTTP 200, headers once the
 * implementation has produced its first message (or failed), the messages,
 * then the status.
 */
export function createGrpcHandler(config: HandlerMethodConfig, web: boolean): UniversalHandler {
  const { service, method, readMaxBytes, writeMaxBytes, compressMinBytes } = config;
  const kind = method.methodKind;
  const singleRequest = kind === "unary" || kind === "server_streaming";
  const base = web ? grpcWebContentTypeBase : grpcContentTypeBase;
  const acceptEncoding =
    config.compression.length > 0 ? config.compression.map((c) => c.name).join(",") : undefined;
  // A method without interceptors calls its implementation directly: no
  // request and response objects, no wait when a unary one answers at once,
  // and no wrapper around what a streaming one yields.
  const impl = directImplementation(config.call);
  const unaryImpl = kind === "unary" ? impl : undefined;
  const shape: StreamBodyShape = { output: method.output, writeMaxBytes, compressMinBytes };
  const protocol = web ? "grpc-web" : "grpc";
  return async (req) => {
    const type = parseGrpcContentType(req.headers.get("content-type"), web);
    if (type === undefined) {
      req.body.cancel();
      return { status: 415, headers: new Metadata(), body: undefined };
    }
    const headers = new Metadata();
    headers.set("content-type", type.bare ? base : `${base}+${type.codec}`);
    if (acceptEncoding !== undefined) headers.set(headerAcceptEncoding, acceptEncoding);
    const { input, output } = config.serializers(type.codec);
    let context: CallContext | undefined;
    let call: HandlerSignal | undefined;
    let compression: Compression | undefined;
    let first: Message | undefined;
    let single: Uint8Array | undefined;
    let rest: AsyncIterator<unknown> | undefined;
    let header: Metadata | undefined;
    let trailer: Metadata | undefined;
    try {
      // The context exists before validation so that errors are answered alike.
      let timeoutMs: number | undefined;
      let failure: unknown;
      try {
        timeoutMs = parseGrpcTimeout(req.headers.get(TIMEOUT_HEADER));
        if (timeoutMs !== undefined && config.maxTimeoutMs !== undefined) {
          timeoutMs = Math.min(timeoutMs, config.maxTimeoutMs);
        }
      } catch (e) {
        failure = e;
        timeoutMs = undefined;
      }
      // A unary call ends with its one response, so without a timeout it can
      // run on the request's own signal: a controller and a listener of its
      // own were about 4% of a small gRPC unary call's server CPU.
      call = new HandlerSignal(req, timeoutMs, kind !== "unary");
      context = new CallContext(
        service,
        method,
        protocol,
        req.httpVersion,
        req.headers,
        call,
        call.deadline,
      );
      if (failure !== undefined) throw failure;
      const negotiated = negotiateServerCompression(
        config.compression,
        req.headers.get(headerEncoding),
        req.headers.get(headerAcceptEncoding),
      );
      compression = negotiated.response;
      if (unaryImpl !== undefined) {
        const message = await readOne(req, readMaxBytes, negotiated.request, input.parse, call);
        // A deadline that passed while the request was decompressed ends the call here.
        const ended = call.ended;
        if (ended !== undefined) throw ended;
        const produced = callUnary(unaryImpl, method.output, message, context);
        const answer = produced instanceof Promise ? await call.race(produced) : produced;
        const bytes = serializeResponse(output, answer, writeMaxBytes);
        single =
          compression !== undefined && bytes.length >= compressMinBytes
            ? encodeEnvelope(FLAG_COMPRESSED, await compressMessage(compression, bytes))
            : encodeEnvelope(0, bytes);
        header = responseHeadersOf(context);
        trailer = responseTrailersOf(context);
      } else if (impl !== undefined) {
        const message = singleRequest
          ? await readOne(req, readMaxBytes, negotiated.request, input.parse, call)
          : readRequests(req, readMaxBytes, negotiated.request, input.parse);
        if (kind === "client_streaming") {
          const produced = callUnary(impl, method.output, message, context);
          const answer = produced instanceof Promise ? await call.race(produced) : produced;
          single = await frame(answer, output, writeMaxBytes, compression, compressMinBytes);
          trailer = responseTrailersOf(context);
        } else {
          // The trailers are read from the context once the stream has ended.
          rest = callStreaming(impl, method.output, message, context);
          const r = await call.race(rest.next());
          if (!r.done) first = create(method.output, r.value as Message);
        }
        header = responseHeadersOf(context);
      } else {
        const signal = call.signal;
        const common = serverCallFields(req, service, method, signal, timeoutMs);
        const response = await call.race(
          config.call(
            withContext(
              singleRequest
                ? {
                    ...common,
                    stream: false,
                    message: await readOne(
                      req,
                      readMaxBytes,
                      negotiated.request,
                      input.parse,
                      call,
                    ),
                  }
                : {
                    ...common,
                    stream: true,
                    message: readRequests(req, readMaxBytes, negotiated.request, input.parse),
                  },
              context,
            ),
          ),
        );
        if (response.stream) {
          const messages = response.message[Symbol.asyncIterator]();
          rest = messages;
          const r = await call.race(messages.next());
          if (!r.done) first = r.value;
        } else {
          // One response: the whole answer is known now, so it goes as bytes
          // rather than as a stream, which costs a unary call far less.
          single = await frame(
            response.message,
            output,
            writeMaxBytes,
            compression,
            compressMinBytes,
          );
        }
        header = response.header;
        trailer = response.trailer;
      }
    } catch (e) {
      const err = ConnectError.from(e);
      const own = context === undefined ? undefined : responseHeadersOf(context);
      if (own !== undefined) headers.merge(own);
      const trailers = new Metadata(
        context === undefined ? undefined : responseTrailersOf(context),
      );
      setStatusTrailers(trailers, err);
      closeIterator(rest);
      call?.cleanup();
      req.body.cancel();
      if (web) return { status: 200, headers, body: trailerFrame(trailers) };
      if (own === undefined || own.size === 0) {
        // Trailers-Only: with no headers of the application's to keep apart,
        // the status goes out with the headers and the answer is one HEADERS
        // frame that ends the stream. Headers and trailers sent apart leave
        // the stream open a little longer, and a client still sending a body
        // of a declared length may end it short meanwhile (Go's does), which
        // HTTP/2 servers answer with a PROTOCOL_ERROR reset that the client
        // then sees instead of the status.
        return { status: 200, headers: headers.merge(trailers), body: undefined };
      }
      return { status: 200, headers, body: new Uint8Array(0), trailers };
    }
    // The implementation has produced its first message (or finished): headers are final now.
    if (header !== undefined) headers.merge(header);
    if (compression !== undefined) headers.set(headerEncoding, compression.name);
    if (single !== undefined) {
      call.cleanup();
      req.body.cancel();
      if (web) {
        // The usual trailers, the status alone, are the same bytes every time.
        const end =
          trailer === undefined || trailer.size === 0 ? okTrailerFrame : statusFrame(trailer);
        return { status: 200, headers, body: concat(single, end) };
      }
      const trailers = new Metadata(trailer);
      setStatusTrailers(trailers, undefined);
      return { status: 200, headers, body: single, trailers };
    }
    const httpTrailers = web ? undefined : new Metadata();
    const source: StreamSource = { first, rest, trailer, context };
    return {
      status: 200,
      headers,
      body: new GrpcStreamBody(shape, output, compression, call, req, source, httpTrailers),
      trailers: httpTrailers,
    };
  };
}

/**
 * A gRPC stream's body: its messages, then the status, in the HTTP trailers
 * (gRPC) or in a last frame (gRPC-Web).
 */
class GrpcStreamBody extends StreamBody {
  readonly #httpTrailers: Metadata | undefined;

  /** @param httpTrailers where the status goes for gRPC; undefined for gRPC-Web. */
  constructor(
    shape: StreamBodyShape,
    serializer: Serializer<Message>,
    compression: Compression | undefined,
    call: HandlerSignal,
    req: ServerRequest,
    source: StreamSource,
    httpTrailers: Metadata | undefined,
  ) {
    super(shape, serializer, compression, call, req, source);
    this.#httpTrailers = httpTrailers;
  }

  protected end(
    trailers: Metadata | undefined,
    error: ConnectError | undefined,
  ): Uint8Array | undefined {
    const httpTrailers = this.#httpTrailers;
    if (httpTrailers === undefined) {
      const all = new Metadata(trailers);
      setStatusTrailers(all, error);
      return trailerFrame(all);
    }
    if (trailers !== undefined) httpTrailers.merge(trailers);
    setStatusTrailers(httpTrailers, error);
    return undefined;
  }
}

/** A response message as bytes, within the write limit. */
function serializeResponse(
  output: Serializer<Message>,
  message: Message,
  writeMaxBytes: number,
): Uint8Array {
  const bytes = output.serialize(message);
  if (bytes.length > writeMaxBytes) {
    throw new ConnectError(
      `message size ${bytes.length} is larger than configured max ${writeMaxBytes}`,
      Code.ResourceExhausted,
    );
  }
  return bytes;
}

/** A response message as an envelope, compressed when it is worth it. */
async function frame(
  message: Message,
  output: Serializer<Message>,
  writeMaxBytes: number,
  compression: Compression | undefined,
  compressMinBytes: number,
): Promise<Uint8Array> {
  const bytes = serializeResponse(output, message, writeMaxBytes);
  if (compression !== undefined && bytes.length >= compressMinBytes) {
    return encodeEnvelope(FLAG_COMPRESSED, await compressMessage(compression, bytes));
  }
  return encodeEnvelope(0, bytes);
}

/** The trailer frame of a successful call: the application's trailers and status 0. */
function statusFrame(trailer: Metadata | undefined): Uint8Array {
  const trailers = new Metadata(trailer);
  setStatusTrailers(trailers, undefined);
  return trailerFrame(trailers);
}

/** The gRPC-Web trailer frame. Never compressed, so any client can read the status. */
function trailerFrame(trailers: Metadata): Uint8Array {
  return encodeEnvelope(FLAG_TRAILERS, encodeTrailerBlock(trailers));
}

const okTrailerFrame = statusFrame(undefined);

/**
 * Reads the one request of a unary or server-streaming call, whole. No
 * message, or more than one, is `unimplemented`, as gRPC servers answer a
 * cardinality violation.
 */
async function readOne(
  req: ServerRequest,
  readMaxBytes: number,
  compression: Compression | undefined,
  parse: (data: Uint8Array) => Message,
  call: HandlerSignal,
): Promise<Message> {
  // The body read ends by itself when the client goes away: it waits on the
  // deadline only, and the request's signal is not read for it.
  const bytes = await call.raceOwn(req.body.readAll(readMaxBytes + 5));
  const one = singleEnvelope(bytes, readMaxBytes);
  if (one !== undefined) {
    const payload = requestPayload(one, compression, readMaxBytes);
    return parse(payload instanceof Uint8Array ? payload : await payload);
  }
  const decoder = new EnvelopeDecoder(readMaxBytes);
  const frames = decoder.push(bytes);
  decoder.end();
  if (frames.length !== 1) {
    throw new ConnectError(
      frames.length === 0
        ? "protocol error: missing request message for a unary method"
        : "protocol error: more than one request message for a unary method",
      Code.Unimplemented,
    );
  }
  const payload = requestPayload(frames[0]!, compression, readMaxBytes);
  return parse(payload instanceof Uint8Array ? payload : await payload);
}

/** Two byte arrays as one. */
function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function readRequests(
  req: ServerRequest,
  readMaxBytes: number,
  compression: Compression | undefined,
  parse: (data: Uint8Array) => Message,
): AsyncIterable<Message> {
  const payload = (env: Envelope) => requestPayload(env, compression, readMaxBytes);
  return readRequestMessages(req.body, readMaxBytes, payload, parse);
}

/** The payload of a request frame; decompressed (later) if it is flagged so. */
function requestPayload(
  env: Envelope,
  compression: Compression | undefined,
  readMaxBytes: number,
): Uint8Array | Promise<Uint8Array> {
  if ((env.flags & ~FLAG_COMPRESSED) !== 0) {
    throw new ConnectError(
      `protocol error: invalid envelope flags 0x${env.flags.toString(16)} in a request`,
      Code.Internal,
    );
  }
  if ((env.flags & FLAG_COMPRESSED) === 0) return env.data;
  if (compression === undefined) {
    // The spec makes this an internal error: the client broke the protocol.
    throw new ConnectError(
      "protocol error: compressed message but the request names no grpc-encoding",
      Code.Internal,
    );
  }
  return decompressMessage(compression, env.data, readMaxBytes);
}

/** Tells the router which requests a gRPC flavour serves: POST with its content type. */
export function claimsGrpc(request: ServerRequest, web: boolean): boolean {
  return (
    request.method === "POST" &&
    parseGrpcContentType(request.headers.get("content-type"), web) !== undefined
  );
}
