import type { AnyFn, UnaryRequest } from "../interceptor.js";
import type { ClientMethodConfig, ClientProtocol } from "../protocol.js";
import { createStreamCall } from "./stream-client.js";
import { createUnaryCall } from "./unary-client.js";

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
