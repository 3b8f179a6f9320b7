import type { Protocol } from "./client-types.js";
import { connectClientProtocol } from "./connect/client-protocol.js";
import { connectHandlerProtocol } from "./connect/handler-protocol.js";
import { grpcClientProtocol } from "./grpc/client-protocol.js";
import { grpcHandlerProtocol } from "./grpc/handler-protocol.js";
import { grpcWebClientProtocol } from "./grpc-web/client-protocol.js";
import { grpcWebHandlerProtocol } from "./grpc-web/handler-protocol.js";
import type { ClientProtocol, HandlerProtocol } from "./protocol.js";

// The wire protocols this package implements. A new protocol adds its client
// and handler ends here; nothing else in the runtimes changes.

/** Client ends, by name. */
export const clientProtocols: ReadonlyMap<Protocol, ClientProtocol> = new Map([
  ["connect", connectClientProtocol],
  ["grpc", grpcClientProtocol],
  ["grpc-web", grpcWebClientProtocol],
]);

/** Handler ends, in the order the router asks them to claim a request. */
export const handlerProtocols: readonly HandlerProtocol[] = [
  connectHandlerProtocol,
  grpcHandlerProtocol,
  grpcWebHandlerProtocol,
];
