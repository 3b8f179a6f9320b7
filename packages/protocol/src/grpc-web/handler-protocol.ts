import { claimsGrpc, createGrpcHandler } from "../grpc/handler-core.js";
import type { ServerRequest, UniversalHandler } from "../http.js";
import type { HandlerMethodConfig, HandlerProtocol } from "../protocol.js";

/**
 * The server end of gRPC-Web: claims POST requests in `application/grpc-web`,
 * `+proto` or `+json`. The text form (`application/grpc-web-text`) is not
 * served.
 */
export const grpcWebHandlerProtocol: HandlerProtocol = {
  name: "grpc-web",
  claims(request: ServerRequest): boolean {
    return claimsGrpc(request, true);
  },
  createHandler(config: HandlerMethodConfig): UniversalHandler {
    return createGrpcHandler(config, true);
  },
};
