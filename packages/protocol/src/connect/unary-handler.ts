import type { Message } from "@bufbuild/protobuf";
import type { CodecName } from "../client-types.js";
import type { Compression } from "../compression.js";
import {
  compressMessage,
  decompressMessage,
  negotiateServerCompression,
} from "../compression-negotiation.js";
import { ConnectError } from "../connect-error.js";
import { callUnary, directImplementation, serverCallFields } from "../handler-call.js";
import {
  type CallContext,
  responseHeadersOf,
  responseTrailersOf,
  withContext,
} from "../handler-context.js";
import type { HandlerSignal } from "../handler-signal.js";
import type { ServerRequest, ServerResponse } from "../http.js";
import type { UnaryResponse } from "../interceptor.js";
import { Metadata } from "../metadata.js";
import type { HandlerMethodConfig } from "../protocol.js";
import { errorToJsonBytes } from "./error-json.js";
import { parseGetQuery } from "./get-request.js";
import { codeToHttpStatus } from "./http-status.js";
import {
  headerUnaryAcceptEncoding,
  headerUnaryEncoding,
  unaryContentType,
} from "./request-header.js";

import {
  addTrailers,
  checkWriteLimit,
  plainResponse,
  StartFailure,
  startCall,
} from "./handler-start.js";

/** Builds the handler of a unary method, for POST and GET requests. */
export function createUnaryHandler(
  config: HandlerMethodConfig,
): (req: ServerRequest, codec: CodecName | undefined) => Promise<ServerResponse> {
  const { service, method, readMaxBytes, writeMaxBytes, compressMinBytes, registry } = config;
  const acceptEncoding =
    config.compression.length > 0 ? config.compression.map((c) => c.name).join(", ") : undefined;
  // Without interceptors the implementation is called directly: no request
  // and response objects, and no wait when it answers synchronously.
  const impl = directImplementation(config.call);
  const output = method.output;
  return async (req, postCodec) => {
    let context: CallContext | undefined;
    let call: HandlerSignal | undefined;
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
      // The body read ends by itself when the client goes away, so it waits
      // on the deadline only: the request's signal is not even read (server
      // adapters make it on first read). The implementation's wait, if it
      // has one, watches the request's signal too.
      bytes = getMessage ?? (await call.raceOwn(req.body.readAll(readMaxBytes)));
      if (negotiated.request !== undefined && bytes.length > 0) {
        bytes = await decompressMessage(negotiated.request, bytes, readMaxBytes);
      }
      const { input, output: serializer } = config.serializers(codec);
      const message = input.parse(bytes);
      // A deadline that passed while the request was decompressed ends the call here.
      const ended = call.ended;
      if (ended !== undefined) throw ended;
      let answer: Message;
      let header: Metadata | undefined;
      let trailer: Metadata | undefined;
      if (impl !== undefined) {
        const produced = callUnary(impl, output, message, context);
        answer = produced instanceof Promise ? await call.race(produced) : produced;
        header = responseHeadersOf(context);
        trailer = responseTrailersOf(context);
      } else {
        const res = (await call.race(
          config.call(
            withContext(
              {
                ...serverCallFields(req, service, method, call.signal, start.timeoutMs),
                stream: false,
                message,
              },
              context,
            ),
          ),
        )) as UnaryResponse;
        answer = res.message as Message;
        header = res.header;
        trailer = res.trailer;
      }
      call.cleanup();
      let body = serializer.serialize(answer);
      checkWriteLimit(body.length, writeMaxBytes);
      const headers = new Metadata(header);
      headers.set("content-type", unaryContentType(codec));
      if (acceptEncoding !== undefined) headers.set(headerUnaryAcceptEncoding, acceptEncoding);
      if (responseCompression !== undefined && body.length >= compressMinBytes) {
        body = await compressMessage(responseCompression, body);
        headers.set(headerUnaryEncoding, responseCompression.name);
      }
      addTrailers(headers, trailer);
      return { status: 200, headers, body };
    } catch (thrown) {
      let e = thrown;
      if (e instanceof StartFailure) {
        context = e.context;
        e = e.cause;
      }
      const err = ConnectError.from(e);
      const headers = new Metadata(context === undefined ? undefined : responseHeadersOf(context));
      headers.merge(err.metadata);
      headers.set("content-type", "application/json");
      if (acceptEncoding !== undefined) headers.set(headerUnaryAcceptEncoding, acceptEncoding);
      if (context !== undefined) addTrailers(headers, responseTrailersOf(context));
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
      call?.cleanup();
      return { status: codeToHttpStatus(err.code), headers, body };
    }
  };
}
