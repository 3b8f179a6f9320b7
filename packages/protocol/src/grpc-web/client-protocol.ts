import { createGrpcCall } from "../grpc/client-core.js";
import type { AnyFn } from "../interceptor.js";
import type { ClientMethodConfig, ClientProtocol } from "../protocol.js";

/**
 * The client end of gRPC-Web: `application/grpc-web+proto` or `+json`, the
 * status in a last frame flagged 0x80, so it works over any HTTP version
 * and through proxies that drop trailers.
 */
export const grpcWebClientProtocol: ClientProtocol = {
  name: "grpc-web",
  createCall(config: ClientMethodConfig): AnyFn {
    return createGrpcCall(config, true);
  },
};
