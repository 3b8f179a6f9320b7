import type { Message } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { Code } from "../code.js";
import { compressMessage, decompressMessage } from "../compression-negotiation.js";
import { ConnectError } from "../connect-error.js";
import type { HttpResponse } from "../http.js";
import type { UnaryRequest, UnaryResponse } from "../interceptor.js";
import type { ClientMethodConfig } from "../protocol.js";
import { encodeGetQuery } from "./get-request.js";
import {
  headerProtocolVersion,
  headerUnaryAcceptEncoding,
  headerUnaryEncoding,
  parseContentType,
  protocolVersion,
  unaryContentType,
} from "./request-header.js";
import { encodeTimeout, TIMEOUT_HEADER } from "./timeout.js";

import {
  acceptHeader,
  addMetadata,
  checkWriteLimit,
  contentTypeError,
  responseCompression,
  splitTrailers,
  unaryError,
  withParts,
} from "./client-response.js";

/** Builds the call of a unary method: one request, sent as POST or GET, one response. */
export function createUnaryCall(
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
    // Most servers answer with the very content type that was sent: no parsing then.
    const responseType = res.headers.get("content-type");
    if (responseType !== contentType) {
      const type = parseContentType(responseType);
      if (type === undefined || type.stream || type.codec !== codec) {
        res.body.cancel();
        const err = contentTypeError(responseType, contentType, "application/");
        err.metadata.merge(headers).merge(trailers);
        throw withParts(err, headers, trailers);
      }
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
