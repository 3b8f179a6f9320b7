import type { Message } from "@bufbuild/protobuf";
import { Code } from "../code.js";
import type { Compression } from "../compression.js";
import { compressMessage, decompressMessage } from "../compression-negotiation.js";
import { ConnectError } from "../connect-error.js";
import { encodeEnvelope, FLAG_COMPRESSED, FLAG_END_STREAM } from "../envelope.js";
import type { HttpResponse } from "../http.js";
import { MessageReader } from "../message-reader.js";
import type { StreamRequest, StreamResponse, UnaryRequest, UnaryResponse } from "../interceptor.js";
import { mapIterable } from "../map-iterable.js";
import { Metadata } from "../metadata.js";
import type { ClientMethodConfig } from "../protocol.js";
import { parseEndStream } from "./end-stream.js";
import {
  headerProtocolVersion,
  headerStreamAcceptEncoding,
  headerStreamEncoding,
  parseContentType,
  protocolVersion,
  streamContentType,
} from "./request-header.js";
import { encodeTimeout, TIMEOUT_HEADER } from "./timeout.js";

import {
  acceptHeader,
  checkWriteLimit,
  contentTypeError,
  responseCompression,
  unaryError,
  withParts,
} from "./client-response.js";

/** Builds the call of a streaming method, client-streaming ones included. */
export function createStreamCall(
  config: ClientMethodConfig,
): (req: UnaryRequest | StreamRequest) => Promise<UnaryResponse | StreamResponse> {
  const { transport, service, method, codec, input, writeMaxBytes } = config;
  const contentType = streamContentType(codec);
  const acceptEncoding = acceptHeader(config.acceptCompression);
  const send = config.sendCompression;
  const minBytes = config.compressMinBytes;
  const singleResponse = method.methodKind === "client_streaming";
  // A promise only when compressing: streamed messages are framed on the way out.
  const frame = (message: Message): Uint8Array | Promise<Uint8Array> => {
    const bytes = input.serialize(message);
    checkWriteLimit(bytes.length, writeMaxBytes);
    if (send !== undefined && bytes.length >= minBytes) {
      return compressMessage(send, bytes).then((c) => encodeEnvelope(FLAG_COMPRESSED, c));
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
      ? mapIterable(req.message as AsyncIterable<Message>, frame)
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

function readMessages(
  res: HttpResponse,
  headers: Metadata,
  trailer: Metadata,
  compression: Compression | undefined,
  config: ClientMethodConfig,
): MessageReader<Message> {
  const { readMaxBytes, output } = config;
  let ended = false;
  const payload = (data: Uint8Array, flags: number): Message | undefined => {
    if ((flags & FLAG_END_STREAM) === 0) return output.parse(data);
    ended = true;
    const end = parseEndStream(data, headers);
    trailer.merge(end.metadata);
    if (end.error !== undefined) throw withParts(end.error, headers, trailer);
    return undefined;
  };
  return new MessageReader<Message>(res.body, readMaxBytes, Code.Internal, {
    frame(env) {
      if (ended) {
        throw new ConnectError("protocol error: data after the end-stream message", Code.Internal);
      }
      if ((env.flags & FLAG_COMPRESSED) === 0) return payload(env.data, env.flags);
      if (compression === undefined) {
        throw new ConnectError(
          "protocol error: compressed message but no encoding was negotiated",
          Code.Internal,
        );
      }
      return decompressMessage(compression, env.data, readMaxBytes, Code.Internal).then((data) =>
        payload(data, env.flags),
      );
    },
    end() {
      if (!ended) {
        throw new ConnectError("protocol error: missing end-stream message", Code.Internal);
      }
    },
    fail(e) {
      const err = ConnectError.from(e, Code.Internal);
      if (err.metadata.size === 0) err.metadata.merge(headers).merge(trailer);
      return withParts(err, headers, trailer);
    },
    release() {
      res.body.cancel();
    },
  });
}

async function onlyMessage(messages: AsyncIterable<Message>): Promise<Message> {
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
