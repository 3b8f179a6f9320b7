import type { ServerRequest, UniversalHandler } from "../http.js";
import type { HandlerMethodConfig, HandlerProtocol } from "../protocol.js";
import { claimsGrpc, createGrpcHandler } from "./handler-core.js";

/** The server end of gRPC: claims POST requests in `application/grpc`, `+proto` or `+json`. */
export const grpcHandlerProtocol: HandlerProtocol = {
  name: "grpc",
  claims(request: ServerRequest): boolean {
    return claimsGrpc(request, false);
  },
  createHandler(config: HandlerMethodConfig): UniversalHandler {
    return createGrpcHandler(config, false);
  },
};
