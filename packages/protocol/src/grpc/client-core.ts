import type { Message } from "@bufbuild/protobuf";
import { setErrorParts } from "../call-metadata.js";
import { Code } from "../code.js";
import type { Compression } from "../compression.js";
import { compressMessage, decompressMessage, IDENTITY } from "../compression-negotiation.js";
import { ConnectError } from "../connect-error.js";
import { httpStatusToCode } from "../connect/http-status.js";
import {
  type Envelope,
  EnvelopeDecoder,
  encodeEnvelope,
  FLAG_COMPRESSED,
  FLAG_TRAILERS,
  singleEnvelope,
} from "../envelope.js";
import { headerXGrpcWeb, headerXUserAgent } from "../grpc-web/request-header.js";
import { parseTrailerBlock } from "../grpc-web/trailer-frame.js";
import type { HttpResponse } from "../http.js";
import { abortError } from "../http-body.js";
import { type FrameSteps, MessageReader } from "../message-reader.js";
import type {
  AnyFn,
  StreamRequest,
  StreamResponse,
  UnaryRequest,
  UnaryResponse,
} from "../interceptor.js";
import { mapIterable } from "../map-iterable.js";
import { Metadata } from "../metadata.js";
import type { ClientMethodConfig } from "../protocol.js";
import {
  grpcContentType,
  grpcUserAgent,
  headerAcceptEncoding,
  headerEncoding,
  headerStatus,
  looksLikeGrpc,
  parseGrpcContentType,
} from "./request-header.js";
import { encodeGrpcTimeout, TIMEOUT_HEADER } from "./timeout.js";
import { errorFromStatus, withoutStatus } from "./trailer-status.js";

// gRPC and gRPC-Web differ on the client only in a few headers and in where
// the status arrives (HTTP trailers, or a last frame flagged 0x80), so one
// implementation serves both.

/**
 * Builds the innermost step of a gRPC (or, with `web`, gRPC-Web) call of one
 * method. Every call kind uses the envelope; unary and client-streaming
 * calls resolve with their one response, the others stream.
 */
export function createGrpcCall(config: ClientMethodConfig, web: boolean): AnyFn {
  const { transport, service, method, codec, input, writeMaxBytes } = config;
  const contentType = grpcContentType(codec, web);
  const acceptEncoding =
    config.acceptCompression.length > 0
      ? config.acceptCompression.map((c) => c.name).join(",")
      : undefined;
  const send = config.sendCompression;
  const minBytes = config.compressMinBytes;
  const singleResponse = method.methodKind === "unary" || method.methodKind === "client_streaming";
  /** The serialized message, checked against the write limit. */
  const serialize = (message: Message): Uint8Array => {
    const bytes = input.serialize(message);
    if (bytes.length > writeMaxBytes) {
      throw new ConnectError(
        `message size ${bytes.length} is larger than configured max ${writeMaxBytes}`,
        Code.ResourceExhausted,
      );
    }
    return bytes;
  };
  // A promise only when compressing: streamed messages are framed on the way out.
  const frame = (message: Message): Uint8Array | Promise<Uint8Array> => {
    const bytes = serialize(message);
    if (send !== undefined && bytes.length >= minBytes) {
      return compressMessage(send, bytes).then((c) => encodeEnvelope(FLAG_COMPRESSED, c));
    }
    return encodeEnvelope(0, bytes);
  };
  return async (req: UnaryRequest | StreamRequest): Promise<UnaryResponse | StreamResponse> => {
    const header = req.header;
    header.set("content-type", contentType);
    if (web) {
      header.set(headerXGrpcWeb, "1");
      if (!header.has(headerXUserAgent)) header.set(headerXUserAgent, grpcUserAgent);
    } else {
      // Required by the spec: it tells proxies that trailers must get through.
      header.set("te", "trailers");
      if (!header.has("user-agent")) header.set("user-agent", grpcUserAgent);
    }
    if (req.timeoutMs !== undefined) header.set(TIMEOUT_HEADER, encodeGrpcTimeout(req.timeoutMs));
    if (send !== undefined) header.set(headerEncoding, send.name);
    if (acceptEncoding !== undefined) header.set(headerAcceptEncoding, acceptEncoding);
    // Without compression a single message is framed without a promise to wait on.
    const requestBody = req.stream
      ? mapIterable(req.message as AsyncIterable<Message>, frame)
      : send === undefined
        ? encodeEnvelope(0, serialize(req.message as Message))
        : await frame(req.message as Message);
    const res = await transport.request({
      method: "POST",
      url: req.url,
      headers: header,
      body: requestBody,
      signal: req.signal,
    });
    const trailer = new Metadata();
    let compression: Compression | undefined;
    let headers = res.headers;
    let body: AsyncIterable<Uint8Array> = res.body;
    try {
      compression = validateResponse(res, config, web);
      if (res.headers.has(headerStatus)) {
        // Perhaps trailers-only: the status in the headers counts only if
        // neither a body nor trailers follow, so look at the body first.
        const chunks = res.body[Symbol.asyncIterator]();
        const first = await chunks.next();
        if (first.done && !res.trailers.has(headerStatus)) {
          // Only the content type is a header then; the rest is trailing metadata.
          headers = new Metadata();
          const type = res.headers.get("content-type");
          if (type !== undefined) headers.set("content-type", type);
          withoutStatus(trailer.merge(res.headers)).delete("content-type");
          const err = errorFromStatus(res.headers, new Metadata(headers).merge(trailer));
          if (err !== undefined) throw withParts(err, headers, trailer);
          if (singleResponse) {
            throw new ConnectError(
              "protocol error: missing response message for a unary method",
              Code.Unimplemented,
              { metadata: new Metadata(headers).merge(trailer) },
            );
          }
          return { stream: true, service, method, header: headers, message: none(), trailer };
        }
        headers = withoutStatus(new Metadata(res.headers));
        body = prepend(first, chunks);
      }
    } catch (e) {
      res.body.cancel();
      const err = ConnectError.from(e, Code.Internal);
      if (err.metadata.size === 0) err.metadata.merge(headers).merge(trailer);
      throw withParts(err, headers, trailer);
    }
    const reader = new ResponseReader(res, headers, trailer, compression, config, web, req.signal);
    if (singleResponse) {
      const message = await readOne(reader, body);
      return { stream: false, service, method, header: headers, message, trailer };
    }
    const messages = readMessages(reader, body);
    return { stream: true, service, method, header: headers, message: messages, trailer };
  };
}

/**
 * Checks the parts of a response that come before its body: the HTTP status
 * (mapped to a code by gRPC's table), the content type and the message
 * encoding, which must be one the client offered. Returns that encoding.
 */
function validateResponse(
  res: HttpResponse,
  config: ClientMethodConfig,
  web: boolean,
): Compression | undefined {
  if (res.status !== 200) {
    throw new ConnectError(`HTTP ${res.status}`, httpStatusToCode(res.status), {
      metadata: res.headers,
    });
  }
  const value = res.headers.get("content-type");
  // Servers nearly always answer with the very type that was sent: no parsing then.
  if (value !== grpcContentType(config.codec, web)) {
    const type = parseGrpcContentType(value, web);
    if (type === undefined || type.codec !== config.codec) {
      throw new ConnectError(
        `protocol error: unexpected content-type "${value ?? ""}" in response, want "${grpcContentType(config.codec, web)}"`,
        looksLikeGrpc(value, web) ? Code.Internal : Code.Unknown,
        { metadata: res.headers },
      );
    }
  }
  const name = res.headers.get(headerEncoding)?.trim().toLowerCase();
  if (name === undefined || name === "" || name === IDENTITY) return undefined;
  const found = config.acceptCompression.find((c) => c.name === name);
  if (found === undefined) {
    throw new ConnectError(
      `protocol error: response uses compression "${name}", which the client does not accept (accepted: ${config.acceptCompression.map((c) => c.name).join(", ") || IDENTITY})`,
      Code.Internal,
      { metadata: res.headers },
    );
  }
  return found;
}

async function* none(): AsyncGenerator<Message, void, undefined> {}

/** The chunks of a body whose first chunk has been read already. */
async function* prepend(
  first: IteratorResult<Uint8Array>,
  rest: AsyncIterator<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  if (first.done) return;
  yield first.value;
  for (;;) {
    const r = await rest.next();
    if (r.done) return;
    yield r.value;
  }
}

/**
 * Reads a response body frame by frame: messages, then the status, from the
 * HTTP trailers for gRPC, from the trailer frame for gRPC-Web (or its HTTP
 * trailers, if a server sent them there). A missing status is an `internal`
 * error, as is anything after the trailer frame.
 */
class ResponseReader implements FrameSteps<Message> {
  #webTrailers: Metadata | undefined;

  constructor(
    readonly res: HttpResponse,
    readonly headers: Metadata,
    readonly trailer: Metadata,
    readonly compression: Compression | undefined,
    readonly config: ClientMethodConfig,
    readonly web: boolean,
    readonly signal: AbortSignal,
  ) {}

  /**
   * Decodes one frame: a message, or `undefined` for the gRPC-Web trailer
   * frame. Only a compressed frame needs to wait (for its decompression).
   */
  frame(env: Envelope): Message | undefined | Promise<Message | undefined> {
    if ((env.flags & FLAG_COMPRESSED) === 0) return this.#plainFrame(env.data, env.flags);
    return this.#compressedFrame(env);
  }

  async #compressedFrame(env: Envelope): Promise<Message | undefined> {
    if (this.#webTrailers !== undefined) {
      throw new ConnectError("protocol error: data after the trailer frame", Code.Internal);
    }
    if (this.compression === undefined) {
      throw new ConnectError(
        "protocol error: compressed message but the response names no encoding",
        Code.Internal,
      );
    }
    const max = this.config.readMaxBytes;
    const data = await decompressMessage(this.compression, env.data, max, Code.Internal);
    return this.#plainFrame(data, env.flags);
  }

  /** Decodes a frame's (decompressed) data. */
  #plainFrame(data: Uint8Array, flags: number): Message | undefined {
    if (this.#webTrailers !== undefined) {
      throw new ConnectError("protocol error: data after the trailer frame", Code.Internal);
    }
    if (this.web && (flags & FLAG_TRAILERS) !== 0) {
      this.#webTrailers = parseTrailerBlock(data);
      return undefined;
    }
    if ((flags & ~FLAG_COMPRESSED) !== 0) {
      throw new ConnectError(
        `protocol error: invalid envelope flags 0x${flags.toString(16)}`,
        Code.Internal,
      );
    }
    // Frames that arrived in one chunk with others must not outrun a cancellation.
    if (this.signal.aborted) throw abortError(this.signal);
    return this.config.output.parse(data);
  }

  /** Reading stopped (see {@link FrameSteps}): the body is released. */
  release(): void {
    this.res.body.cancel();
  }

  /** Settles the status once the body has ended; throws the call's error, if any (see {@link FrameSteps}). */
  end(): void {
    const source = this.#webTrailers ?? this.res.trailers;
    const status = source.get(headerStatus);
    // The usual end of a call, a lone `grpc-status: 0`, leaves no trailers to copy.
    if (status === "0" && source.size === 1) return;
    this.trailer.merge(source);
    if (status === undefined) {
      throw new ConnectError(
        this.web
          ? "protocol error: missing grpc-status (no trailer frame)"
          : "protocol error: missing grpc-status trailer",
        Code.Internal,
      );
    }
    withoutStatus(this.trailer);
    if (status === "0") return;
    const err = errorFromStatus(source, new Metadata(this.headers).merge(this.trailer));
    if (err !== undefined) throw err;
  }

  /** The error to end the call with, carrying headers and trailers. */
  fail(e: unknown): ConnectError {
    const err = ConnectError.from(e, Code.Internal);
    if (err.metadata.size === 0) err.metadata.merge(this.headers).merge(this.trailer);
    return withParts(err, this.headers, this.trailer);
  }
}

/** The messages of a streaming response, as they arrive. */
function readMessages(
  reader: ResponseReader,
  body: AsyncIterable<Uint8Array>,
): MessageReader<Message> {
  return new MessageReader(body, reader.config.readMaxBytes, Code.Internal, reader);
}

/**
 * The one message of a unary or client-streaming response. Read without
 * the generators a stream needs: this is the path most calls take.
 */
async function readOne(reader: ResponseReader, body: AsyncIterable<Uint8Array>): Promise<Message> {
  let message: Message | undefined;
  try {
    const max = reader.config.readMaxBytes;
    if (!reader.web && body === reader.res.body) {
      // gRPC sends the status in HTTP trailers, so the body of a unary answer
      // is one envelope: read it whole, without an iterator and a promise per
      // chunk. The limit leaves room for a second envelope, so that a peer
      // sending two messages is told apart from one sending too big a message.
      const bytes = await reader.res.body.readAll(2 * (max + 5));
      // Exactly one frame within the limit, the usual answer, needs no decoder;
      // anything else goes through one, which tells what is wrong with it.
      const single = singleEnvelope(bytes, max);
      if (single !== undefined) {
        // Only a compressed frame has to wait (for its decompression).
        const m = reader.frame(single);
        message = m instanceof Promise ? await m : m;
      } else {
        const decoder = new EnvelopeDecoder(max, Code.Internal);
        message = await takeFrames(reader, decoder.push(bytes), message);
        decoder.end();
      }
    } else {
      const decoder = new EnvelopeDecoder(max, Code.Internal);
      for await (const chunk of body) {
        message = await takeFrames(reader, decoder.push(chunk), message);
      }
      decoder.end();
    }
    reader.end();
  } catch (e) {
    throw reader.fail(e);
  } finally {
    reader.res.body.cancel();
  }
  if (message === undefined) {
    throw new ConnectError(
      "protocol error: missing response message for a unary method",
      Code.Unimplemented,
    );
  }
  return message;
}

/**
 * Decodes the frames a chunk completed into the one response message there
 * may be, `message` being the one found so far: a second message is an error.
 */
async function takeFrames(
  reader: ResponseReader,
  frames: readonly Envelope[],
  message: Message | undefined,
): Promise<Message | undefined> {
  let found = message;
  for (let i = 0; i < frames.length; i++) {
    const m = await reader.frame(frames[i]!);
    if (m === undefined) continue;
    if (found !== undefined) {
      throw new ConnectError(
        "protocol error: more than one response message for a unary method",
        Code.Unimplemented,
      );
    }
    found = m;
  }
  return found;
}

function withParts(err: ConnectError, headers: Metadata, trailers: Metadata): ConnectError {
  setErrorParts(err, headers, trailers);
  return err;
}
