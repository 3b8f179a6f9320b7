import type { Message } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { type CallSignal, createCallSignal } from "../call-signal.js";
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
  EnvelopeDecoder,
  encodeEnvelope,
  FLAG_COMPRESSED,
  FLAG_END_STREAM,
  readEnvelopes,
} from "../envelope.js";
import { createHandlerContext, withContext } from "../handler-context.js";
import type { HandlerContext } from "../handler-types.js";
import { raceAbort } from "../http-body.js";
import type { ServerRequest, ServerResponse, UniversalHandler } from "../http.js";
import type { StreamResponse, UnaryResponse } from "../interceptor.js";
import { Metadata } from "../metadata.js";
import type { HandlerMethodConfig, HandlerProtocol } from "../protocol.js";
import { encodeEndStream } from "./end-stream.js";
import { errorToJsonBytes } from "./error-json.js";
import { parseGetQuery } from "./get-request.js";
import { codeToHttpStatus } from "./http-status.js";
import {
  headerProtocolVersion,
  headerStreamAcceptEncoding,
  headerStreamEncoding,
  headerUnaryAcceptEncoding,
  headerUnaryEncoding,
  parseContentType,
  protocolVersion,
  streamContentType,
  trailerPrefix,
  unaryContentType,
} from "./request-header.js";
import { parseTimeout, TIMEOUT_HEADER } from "./timeout.js";

/** The server end of the Connect protocol. */
export const connectHandlerProtocol: HandlerProtocol = {
  name: "connect",
  claims(request: ServerRequest): boolean {
    if (request.method === "GET") return true;
    return (
      request.method === "POST" &&
      parseContentType(request.headers.get("content-type")) !== undefined
    );
  },
  createHandler(config: HandlerMethodConfig): UniversalHandler {
    const kind = config.method.methodKind;
    const unary = kind === "unary" ? createUnaryHandler(config) : undefined;
    const stream = kind === "unary" ? undefined : createStreamHandler(config);
    const allowGet =
      kind === "unary" &&
      config.method.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS;
    const allow = allowGet ? "GET, POST" : "POST";
    const accepted =
      kind === "unary"
        ? "application/proto, application/json"
        : "application/connect+proto, application/connect+json";
    return async (req) => {
      if (req.method === "GET") {
        if (!allowGet) return plainResponse(405, { allow });
        return unary!(req, undefined);
      }
      const type = parseContentType(req.headers.get("content-type"));
      if (type === undefined || type.stream !== (kind !== "unary")) {
        req.body.cancel();
        return plainResponse(415, { "accept-post": accepted });
      }
      return unary !== undefined ? unary(req, type.codec) : stream!(req, type.codec);
    };
  },
};

/** The start of every call: validated headers, a signal with the deadline, the context. */
interface CallStart {
  readonly call: CallSignal;
  readonly context: HandlerContext;
  readonly timeoutMs: number | undefined;
}

function startCall(
  req: ServerRequest,
  config: HandlerMethodConfig,
  versionParam: string | undefined,
): CallStart {
  // The context exists before validation so that errors are answered the same way.
  let timeoutMs: number | undefined;
  let failure: unknown;
  try {
    const version = req.method === "GET" ? versionParam : req.headers.get(headerProtocolVersion);
    const want = req.method === "GET" ? "v1" : protocolVersion;
    if (version === undefined ? config.requireConnectProtocolHeader : version !== want) {
      throw new ConnectError(
        req.method === "GET"
          ? `protocol error: missing or unsupported "connect" query parameter, want "v1"`
          : `protocol error: missing or unsupported ${headerProtocolVersion} header, want "${protocolVersion}"`,
        Code.InvalidArgument,
      );
    }
    timeoutMs = parseTimeout(req.headers.get(TIMEOUT_HEADER));
    if (timeoutMs !== undefined && config.maxTimeoutMs !== undefined) {
      timeoutMs = Math.min(timeoutMs, config.maxTimeoutMs);
    }
  } catch (e) {
    failure = e;
  }
  // Unary calls end with their one response: without a timeout they can run
  // on the request's own signal. Streams need their own to stop the handler
  // when the client stops reading.
  const call = createCallSignal(
    req.signal,
    failure === undefined ? timeoutMs : undefined,
    config.method.methodKind !== "unary",
  );
  const context = createHandlerContext({
    service: config.service,
    method: config.method,
    protocol: "connect",
    httpVersion: req.httpVersion,
    requestHeaders: req.headers,
    signal: call.signal,
    timeoutMs,
  });
  if (failure !== undefined) {
    call.cleanup();
    throw new StartFailure(failure, context);
  }
  return { call, context, timeoutMs };
}

/** Carries a validation failure together with the context it happened in. */
class StartFailure {
  constructor(
    readonly cause: unknown,
    readonly context: HandlerContext,
  ) {}
}

function createUnaryHandler(
  config: HandlerMethodConfig,
): (req: ServerRequest, codec: CodecName | undefined) => Promise<ServerResponse> {
  const { service, method, readMaxBytes, writeMaxBytes, compressMinBytes, registry } = config;
  const acceptEncoding =
    config.compression.length > 0 ? config.compression.map((c) => c.name).join(", ") : undefined;
  return async (req, postCodec) => {
    let context: HandlerContext | undefined;
    let call: CallSignal | undefined;
    let responseCompression: Compression | undefined;
    try {
      let codec: CodecName;
      let bytes: Uint8Array;
      let requestEncoding: string | undefined;
      let connectParam: string | undefined;
      let getMessage: Uint8Array | undefined;
      if (postCodec === undefined) {
        const query = parseGetQuery(req.query);
        if (query.encoding !== "proto" && query.encoding !== "json") {
          return plainResponse(415, {});
        }
        codec = query.encoding;
        requestEncoding = query.compression;
        connectParam = query.connect;
        getMessage = query.message;
      } else {
        codec = postCodec;
        requestEncoding = req.headers.get(headerUnaryEncoding);
      }
      const start = startCall(req, config, connectParam);
      context = start.context;
      call = start.call;
      const negotiated = negotiateServerCompression(
        config.compression,
        requestEncoding,
        req.headers.get(headerUnaryAcceptEncoding),
      );
      responseCompression = negotiated.response;
      bytes = getMessage ?? (await raceAbort(req.body.readAll(readMaxBytes), call.signal));
      if (negotiated.request !== undefined && bytes.length > 0) {
        bytes = await decompressMessage(negotiated.request, bytes, readMaxBytes);
      }
      const { input, output } = config.serializers(codec);
      const message = input.parse(bytes);
      const res = (await raceAbort(
        config.call(
          withContext(
            {
              stream: false,
              side: "server",
              service,
              method,
              url: req.path,
              header: req.headers,
              signal: call.signal,
              timeoutMs: start.timeoutMs,
              message,
            },
            start.context,
          ),
        ),
        call.signal,
      )) as UnaryResponse;
      let body = output.serialize(res.message as Message);
      checkWriteLimit(body.length, writeMaxBytes);
      const headers = new Metadata(res.header);
      headers.set("content-type", unaryContentType(codec));
      if (acceptEncoding !== undefined) headers.set(headerUnaryAcceptEncoding, acceptEncoding);
      if (responseCompression !== undefined && body.length >= compressMinBytes) {
        body = await compressMessage(responseCompression, body);
        headers.set(headerUnaryEncoding, responseCompression.name);
      }
      addTrailers(headers, res.trailer);
      return { status: 200, headers, body };
    } catch (thrown) {
      let e = thrown;
      if (e instanceof StartFailure) {
        context = e.context;
        e = e.cause;
      }
      const err = ConnectError.from(e);
      const headers = new Metadata(context?.responseHeaders);
      headers.merge(err.metadata);
      headers.set("content-type", "application/json");
      if (acceptEncoding !== undefined) headers.set(headerUnaryAcceptEncoding, acceptEncoding);
      if (context !== undefined) addTrailers(headers, context.responseTrailers);
      let body = errorToJsonBytes(err, registry);
      if (responseCompression !== undefined && body.length >= compressMinBytes) {
        try {
          body = await compressMessage(responseCompression, body);
          headers.set(headerUnaryEncoding, responseCompression.name);
        } catch {
          // An error body that does not compress goes as it is.
        }
      }
      req.body.cancel();
      return { status: codeToHttpStatus(err.code), headers, body };
    } finally {
      call?.cleanup();
    }
  };
}

function createStreamHandler(
  config: HandlerMethodConfig,
): (req: ServerRequest, codec: CodecName) => Promise<ServerResponse> {
  const { service, method, readMaxBytes, writeMaxBytes, compressMinBytes, registry } = config;
  const kind = method.methodKind;
  const acceptEncoding =
    config.compression.length > 0 ? config.compression.map((c) => c.name).join(", ") : undefined;
  return async (req, codec) => {
    const headers = new Metadata();
    headers.set("content-type", streamContentType(codec));
    if (acceptEncoding !== undefined) headers.set(headerStreamAcceptEncoding, acceptEncoding);
    let context: HandlerContext | undefined;
    let call: CallSignal | undefined;
    let compression: Compression | undefined;
    const { input, output } = config.serializers(codec);
    const frame = async (message: Message): Promise<Uint8Array> => {
      const bytes = output.serialize(message);
      checkWriteLimit(bytes.length, writeMaxBytes);
      if (compression !== undefined && bytes.length >= compressMinBytes) {
        return encodeEnvelope(FLAG_COMPRESSED, await compressMessage(compression, bytes));
      }
      return encodeEnvelope(0, bytes);
    };
    const endFrame = async (
      trailers: Metadata,
      error: ConnectError | undefined,
    ): Promise<Uint8Array> => {
      const bytes = encodeEndStream(trailers, error, registry);
      if (compression !== undefined && bytes.length >= compressMinBytes) {
        try {
          return encodeEnvelope(
            FLAG_COMPRESSED | FLAG_END_STREAM,
            await compressMessage(compression, bytes),
          );
        } catch {
          // Fall through: the end of the stream must go out whatever happens.
        }
      }
      return encodeEnvelope(FLAG_END_STREAM, bytes);
    };
    let first: Message | undefined;
    let rest: AsyncIterator<Message> | undefined;
    let response: UnaryResponse | StreamResponse;
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
      const signal = call.signal;
      let message: Message | AsyncIterable<Message>;
      if (kind === "server_streaming") {
        message = await readSingle(req, readMaxBytes, requestCompression, input.parse, signal);
      } else {
        message = readRequests(req, readMaxBytes, requestCompression, input.parse);
      }
      response = await raceAbort(
        config.call(
          withContext(
            kind === "server_streaming"
              ? {
                  stream: false,
                  side: "server",
                  service,
                  method,
                  url: req.path,
                  header: req.headers,
                  signal,
                  timeoutMs: start.timeoutMs,
                  message: message as Message,
                }
              : {
                  stream: true,
                  side: "server",
                  service,
                  method,
                  url: req.path,
                  header: req.headers,
                  signal,
                  timeoutMs: start.timeoutMs,
                  message: message as AsyncIterable<Message>,
                },
            start.context,
          ),
        ),
        signal,
      );
      if (response.stream) {
        rest = response.message[Symbol.asyncIterator]();
        const r = await raceAbort(rest.next(), signal);
        if (!r.done) first = r.value;
      } else {
        first = response.message;
      }
    } catch (thrown) {
      let e = thrown;
      if (e instanceof StartFailure) {
        context = e.context;
        e = e.cause;
      }
      const err = ConnectError.from(e);
      headers.merge(context?.responseHeaders ?? new Metadata());
      const body = await endFrame(context?.responseTrailers ?? new Metadata(), err);
      closeIterator(rest);
      call?.cleanup();
      req.body.cancel();
      return { status: 200, headers, body };
    }
    // The handler has produced its first message (or finished): headers are final now.
    headers.merge(response.header);
    if (compression !== undefined) headers.set(headerStreamEncoding, compression.name);
    const callSignal = call;
    const trailer = response.trailer;
    async function* body(): AsyncGenerator<Uint8Array> {
      let error: ConnectError | undefined;
      let finished = false;
      try {
        try {
          if (first !== undefined) yield await frame(first);
          if (rest !== undefined) {
            for (;;) {
              const r = await raceAbort(rest.next(), callSignal.signal);
              if (r.done) break;
              yield await frame(r.value);
            }
          }
        } catch (e) {
          error = ConnectError.from(e);
        }
        yield await endFrame(trailer, error);
        finished = true;
      } finally {
        if (!finished) {
          callSignal.abort(
            new ConnectError("the client stopped reading the response", Code.Canceled),
          );
          closeIterator(rest);
        }
        callSignal.cleanup();
        req.body.cancel();
      }
    }
    return { status: 200, headers, body: body() };
  };
}

/** Reads the one request of a server-streaming call: exactly one envelope. */
async function readSingle(
  req: ServerRequest,
  readMaxBytes: number,
  compression: Compression | undefined,
  parse: (data: Uint8Array) => Message,
  signal: AbortSignal,
): Promise<Message> {
  const bytes = await raceAbort(req.body.readAll(readMaxBytes + 5), signal);
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
  return parse(await requestPayload(frames[0]!.flags, frames[0]!.data, compression, readMaxBytes));
}

async function* readRequests(
  req: ServerRequest,
  readMaxBytes: number,
  compression: Compression | undefined,
  parse: (data: Uint8Array) => Message,
): AsyncGenerator<Message> {
  for await (const env of readEnvelopes(req.body, readMaxBytes)) {
    yield parse(await requestPayload(env.flags, env.data, compression, readMaxBytes));
  }
}

async function requestPayload(
  flags: number,
  data: Uint8Array,
  compression: Compression | undefined,
  readMaxBytes: number,
): Promise<Uint8Array> {
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

function closeIterator(it: AsyncIterator<unknown> | undefined): void {
  if (it?.return === undefined) return;
  // The implementation's own cleanup may fail; the call is over either way.
  Promise.resolve()
    .then(() => it.return?.())
    .catch(() => {});
}

function addTrailers(headers: Metadata, trailers: Metadata): void {
  for (const [name, values] of trailers.entries()) headers.set(trailerPrefix + name, values);
}

function checkWriteLimit(size: number, max: number): void {
  if (size > max) {
    throw new ConnectError(
      `message size ${size} is larger than configured max ${max}`,
      Code.ResourceExhausted,
    );
  }
}

function plainResponse(status: number, headers: Record<string, string>): ServerResponse {
  return { status, headers: new Metadata(headers), body: undefined };
}
