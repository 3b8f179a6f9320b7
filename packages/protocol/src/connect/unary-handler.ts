import type { Message } from "@bufbuild/protobuf";
import type { CallSignal } from "../call-signal.js";
import type { CodecName } from "../client-types.js";
import type { Compression } from "../compression.js";
import {
  compressMessage,
  decompressMessage,
  negotiateServerCompression,
} from "../compression-negotiation.js";
import { ConnectError } from "../connect-error.js";
import { withContext } from "../handler-context.js";
import type { HandlerContext } from "../handler-types.js";
import { AbortRace } from "../abort-race.js";
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
  return async (req, postCodec) => {
    let context: HandlerContext | undefined;
    let call: CallSignal | undefined;
    let race: AbortRace | undefined;
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
      // One listener on the signal for both waits of the call, rather than
      // one added and removed per wait: the listener bookkeeping of Node's
      // EventTarget is a visible share of a small unary call's profile.
      race = new AbortRace(call.signal);
      bytes = getMessage ?? (await race.race(req.body.readAll(readMaxBytes)));
      if (negotiated.request !== undefined && bytes.length > 0) {
        bytes = await decompressMessage(negotiated.request, bytes, readMaxBytes);
      }
      const { input, output } = config.serializers(codec);
      const message = input.parse(bytes);
      const res = (await race.race(
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
      )) as UnaryResponse;
      race.dispose();
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
      race?.dispose();
      call?.cleanup();
    }
  };
}
