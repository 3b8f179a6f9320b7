import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import type { ServerRequest, UniversalHandler } from "../http.js";
import type { HandlerMethodConfig, HandlerProtocol } from "../protocol.js";
import { plainResponse } from "./handler-start.js";
import { parseContentType } from "./request-header.js";
import { createStreamHandler } from "./stream-handler.js";
import { createUnaryHandler } from "./unary-handler.js";

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
    // Not async: the call's own promise is returned as it is, without a
    // wrapper promise and the extra turns of resolving one with another.
    return (req) => {
      if (req.method === "GET") {
        if (!allowGet) return Promise.resolve(plainResponse(405, { allow }));
        return unary!(req, undefined);
      }
      const type = parseContentType(req.headers.get("content-type"));
      if (type === undefined || type.stream !== (kind !== "unary")) {
        req.body.cancel();
        return Promise.resolve(plainResponse(415, { "accept-post": accepted }));
      }
      return unary !== undefined ? unary(req, type.codec) : stream!(req, type.codec);
    };
  },
};
