import type { Message } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { setErrorParts } from "../call-metadata.js";
import { Code } from "../code.js";
import type { Compression } from "../compression.js";
import { compressMessage, decompressMessage, IDENTITY } from "../compression-negotiation.js";
import { ConnectError } from "../connect-error.js";
import { encodeEnvelope, FLAG_COMPRESSED, FLAG_END_STREAM, readEnvelopes } from "../envelope.js";
import type { HttpResponse } from "../http.js";
import type {
  AnyFn,
  StreamRequest,
  StreamResponse,
  UnaryRequest,
  UnaryResponse,
} from "../interceptor.js";
import { Metadata } from "../metadata.js";
import type { ClientMethodConfig, ClientProtocol } from "../protocol.js";
import { parseEndStream } from "./end-stream.js";
import { errorFromJsonBytes } from "./error-json.js";
import { encodeGetQuery } from "./get-request.js";
import { httpStatusToCode } from "./http-status.js";
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
import { encodeTimeout, TIMEOUT_HEADER } from "./timeout.js";

/** The client end of the Connect protocol. */
export const connectClientProtocol: ClientProtocol = {
  name: "connect",
  createCall(config: ClientMethodConfig): AnyFn {
    const kind = config.method.methodKind;
    if (kind === "unary") {
      const call = createUnaryCall(config);
      return (req) => call(req as UnaryRequest);
    }
    const call = createStreamCall(config);
    return (req) => call(req);
  },
};

function createUnaryCall(
  config: ClientMethodConfig,
): (req: UnaryRequest) => Promise<UnaryResponse> {
  const { transport, service, method, codec, input, output, readMaxBytes, writeMaxBytes } = config;
  const contentType = unaryContentType(codec);
  const acceptEncoding = acceptHeader(config.acceptCompression);
  const send = config.sendCompression;
  const minBytes = config.compressMinBytes;
  const useGet =
    config.useHttpGet && method.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS;
  return async (req) => {
    const header = req.header;
    if (req.timeoutMs !== undefined) header.set(TIMEOUT_HEADER, encodeTimeout(req.timeoutMs));
    if (acceptEncoding !== undefined) header.set(headerUnaryAcceptEncoding, acceptEncoding);
    let body = input.serialize(req.message as Message);
    checkWriteLimit(body.length, writeMaxBytes);
    let encoding: string | undefined;
    if (send !== undefined && body.length >= minBytes) {
      body = await compressMessage(send, body);
      encoding = send.name;
    }
    let res: HttpResponse;
    if (useGet) {
      // A GET carries everything in its URL and needs no content headers.
      header.delete("content-type");
      header.delete(headerProtocolVersion);
      header.delete(headerUnaryEncoding);
      res = await transport.request({
        method: "GET",
        url: `${req.url}?${encodeGetQuery(codec, body, encoding)}`,
        headers: header,
        body: undefined,
        signal: req.signal,
      });
    } else {
      header.set("content-type", contentType);
      header.set(headerProtocolVersion, protocolVersion);
      if (encoding !== undefined) header.set(headerUnaryEncoding, encoding);
      res = await transport.request({
        method: "POST",
        url: req.url,
        headers: header,
        body,
        signal: req.signal,
      });
    }
    const [headers, trailers] = splitTrailers(res.headers);
    if (res.status !== 200) throw await unaryError(res, headers, trailers, config);
    const type = parseContentType(res.headers.get("content-type"));
    if (type === undefined || type.stream || type.codec !== codec) {
      res.body.cancel();
      const err = contentTypeError(res.headers.get("content-type"), contentType, "application/");
      err.metadata.merge(headers).merge(trailers);
      throw withParts(err, headers, trailers);
    }
    let bytes: Uint8Array;
    try {
      bytes = await res.body.readAll(readMaxBytes);
      const compression = responseCompression(res.headers.get(headerUnaryEncoding), config);
      if (compression !== undefined && bytes.length > 0) {
        bytes = await decompressMessage(compression, bytes, readMaxBytes, Code.Internal);
      }
    } catch (e) {
      const err = ConnectError.from(e, Code.Internal);
      throw withParts(addMetadata(err, headers, trailers), headers, trailers);
    }
    let message: Message;
    try {
      message = output.parse(bytes);
    } catch (e) {
      throw withParts(
        addMetadata(ConnectError.from(e, Code.Internal), headers, trailers),
        headers,
        trailers,
      );
    }
    return { stream: false, service, method, header: headers, message, trailer: trailers };
  };
}

function createStreamCall(
  config: ClientMethodConfig,
): (req: UnaryRequest | StreamRequest) => Promise<UnaryResponse | StreamResponse> {
  const { transport, service, method, codec, input, writeMaxBytes } = config;
  const contentType = streamContentType(codec);
  const acceptEncoding = acceptHeader(config.acceptCompression);
  const send = config.sendCompression;
  const minBytes = config.compressMinBytes;
  const singleResponse = method.methodKind === "client_streaming";
  const frame = async (message: Message): Promise<Uint8Array> => {
    const bytes = input.serialize(message);
    checkWriteLimit(bytes.length, writeMaxBytes);
    if (send !== undefined && bytes.length >= minBytes) {
      return encodeEnvelope(FLAG_COMPRESSED, await compressMessage(send, bytes));
    }
    return encodeEnvelope(0, bytes);
  };
  return async (req) => {
    const header = req.header;
    header.set("content-type", contentType);
    header.set(headerProtocolVersion, protocolVersion);
    if (req.timeoutMs !== undefined) header.set(TIMEOUT_HEADER, encodeTimeout(req.timeoutMs));
    if (send !== undefined) header.set(headerStreamEncoding, send.name);
    if (acceptEncoding !== undefined) header.set(headerStreamAcceptEncoding, acceptEncoding);
    const body = req.stream
      ? frameAll(req.message as AsyncIterable<Message>, frame)
      : await frame(req.message as Message);
    const res = await transport.request({
      method: "POST",
      url: req.url,
      headers: header,
      body,
      signal: req.signal,
    });
    const headers = res.headers;
    if (res.status !== 200) throw await unaryError(res, headers, new Metadata(), config);
    const type = parseContentType(headers.get("content-type"));
    if (type === undefined || !type.stream || type.codec !== codec) {
      res.body.cancel();
      const err = contentTypeError(
        headers.get("content-type"),
        contentType,
        "application/connect+",
      );
      err.metadata.merge(headers);
      throw withParts(err, headers, new Metadata());
    }
    let compression: Compression | undefined;
    try {
      compression = responseCompression(headers.get(headerStreamEncoding), config);
    } catch (e) {
      res.body.cancel();
      throw e;
    }
    const trailer = new Metadata();
    const messages = readMessages(res, headers, trailer, compression, config);
    if (singleResponse) {
      const message = await onlyMessage(messages);
      return { stream: false, service, method, header: headers, message, trailer };
    }
    return { stream: true, service, method, header: headers, message: messages, trailer };
  };
}

async function* frameAll(
  messages: AsyncIterable<Message>,
  frame: (message: Message) => Promise<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  for await (const message of messages) yield await frame(message);
}

async function* readMessages(
  res: HttpResponse,
  headers: Metadata,
  trailer: Metadata,
  compression: Compression | undefined,
  config: ClientMethodConfig,
): AsyncGenerator<Message, void, undefined> {
  const { readMaxBytes, output } = config;
  let ended = false;
  try {
    for await (const env of readEnvelopes(res.body, readMaxBytes, Code.Internal)) {
      if (ended) {
        throw new ConnectError("protocol error: data after the end-stream message", Code.Internal);
      }
      let data = env.data;
      if ((env.flags & FLAG_COMPRESSED) !== 0) {
        if (compression === undefined) {
          throw new ConnectError(
            "protocol error: compressed message but no encoding was negotiated",
            Code.Internal,
          );
        }
        data = await decompressMessage(compression, data, readMaxBytes, Code.Internal);
      }
      if ((env.flags & FLAG_END_STREAM) !== 0) {
        ended = true;
        const end = parseEndStream(data, headers);
        trailer.merge(end.metadata);
        if (end.error !== undefined) throw withParts(end.error, headers, trailer);
        continue;
      }
      yield output.parse(data);
    }
    if (!ended) {
      throw new ConnectError("protocol error: missing end-stream message", Code.Internal);
    }
  } catch (e) {
    const err = ConnectError.from(e, Code.Internal);
    if (err.metadata.size === 0) err.metadata.merge(headers).merge(trailer);
    throw withParts(err, headers, trailer);
  } finally {
    res.body.cancel();
  }
}

async function onlyMessage(messages: AsyncGenerator<Message>): Promise<Message> {
  let message: Message | undefined;
  for await (const m of messages) {
    if (message !== undefined) {
      throw new ConnectError(
        "protocol error: more than one response message for a unary method",
        Code.Unimplemented,
      );
    }
    message = m;
  }
  if (message === undefined) {
    throw new ConnectError(
      "protocol error: missing response message for a unary method",
      Code.Unimplemented,
    );
  }
  return message;
}

/** Builds the error of a non-200 response: the Connect error JSON if there is one, else the status. */
async function unaryError(
  res: HttpResponse,
  headers: Metadata,
  trailers: Metadata,
  config: ClientMethodConfig,
): Promise<ConnectError> {
  const fallback = httpStatusToCode(res.status);
  const metadata = merged(headers, trailers);
  let err: ConnectError | undefined;
  const type = res.headers.get("content-type") ?? "";
  if (/^application\/json\b/i.test(type)) {
    try {
      let bytes = await res.body.readAll(config.readMaxBytes);
      const compression = responseCompression(res.headers.get(headerUnaryEncoding), config);
      if (compression !== undefined && bytes.length > 0) {
        bytes = await decompressMessage(compression, bytes, config.readMaxBytes, Code.Internal);
      }
      err = errorFromJsonBytes(bytes, metadata, fallback);
    } catch {
      // An unreadable error body leaves the HTTP status as the only evidence.
    }
  } else {
    res.body.cancel();
  }
  err ??= new ConnectError(`HTTP ${res.status}`, fallback, { metadata });
  return withParts(err, headers, trailers);
}

/**
 * The error of a successful response in the wrong content type: `internal`
 * for another Connect codec (a peer that misbehaves), `unknown` for anything
 * else (most likely not a Connect server at all).
 */
function contentTypeError(got: string | undefined, want: string, family: string): ConnectError {
  const code = got?.toLowerCase().startsWith(family) ? Code.Internal : Code.Unknown;
  return new ConnectError(
    `protocol error: unexpected content-type "${got ?? ""}" in response, want "${want}"`,
    code,
  );
}

/** Finds the compression a response names, which must be one the client offered. */
function responseCompression(
  name: string | undefined,
  config: ClientMethodConfig,
): Compression | undefined {
  if (name === undefined || name === IDENTITY || name === "") return undefined;
  const found = config.acceptCompression.find((c) => c.name === name);
  if (found === undefined) {
    throw new ConnectError(
      `protocol error: response uses compression "${name}", which the client does not accept`,
      Code.Internal,
    );
  }
  return found;
}

function acceptHeader(accept: readonly Compression[]): string | undefined {
  return accept.length > 0 ? accept.map((c) => c.name).join(", ") : undefined;
}

function checkWriteLimit(size: number, max: number): void {
  if (size > max) {
    throw new ConnectError(
      `message size ${size} is larger than configured max ${max}`,
      Code.ResourceExhausted,
    );
  }
}

/** Separates unary trailers, sent as `trailer-` headers, from the real headers. */
function splitTrailers(all: Metadata): [Metadata, Metadata] {
  const headers = new Metadata();
  const trailers = new Metadata();
  for (const [name, values] of all.entries()) {
    if (name.startsWith(trailerPrefix)) trailers.set(name.slice(trailerPrefix.length), values);
    else headers.set(name, values);
  }
  return [headers, trailers];
}

function merged(headers: Metadata, trailers: Metadata): Metadata {
  return new Metadata(headers).merge(trailers);
}

function addMetadata(err: ConnectError, headers: Metadata, trailers: Metadata): ConnectError {
  if (err.metadata.size === 0) err.metadata.merge(headers).merge(trailers);
  return err;
}

function withParts(err: ConnectError, headers: Metadata, trailers: Metadata): ConnectError {
  setErrorParts(err, headers, trailers);
  return err;
}
