import type { AnyFn } from "../interceptor.js";
import type { ClientMethodConfig, ClientProtocol } from "../protocol.js";
import { createGrpcCall } from "./client-core.js";

/** The client end of gRPC: `application/grpc`, status in HTTP trailers. Needs a transport that exposes trailers. */
export const grpcClientProtocol: ClientProtocol = {
  name: "grpc",
  createCall(config: ClientMethodConfig): AnyFn {
    return createGrpcCall(config, false);
  },
};
