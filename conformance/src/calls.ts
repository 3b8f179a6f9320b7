import { type ClientOptions, RpcClient, type Transport } from "@connect-ts/protocol";
import { ConformanceService } from "../gen/connectrpc/conformance/v1/service_pb.js";
import type { ConformanceCalls } from "./invoke.js";

/** The low-level calls of `ConformanceService` over a transport, with the given options. */
export function conformanceCalls(transport: Transport, options: ClientOptions): ConformanceCalls {
  const rpc = new RpcClient(transport, options);
  const m = ConformanceService.method;
  return {
    callUnary: (request, o) => rpc.callUnary(m.unary, request, o),
    callIdempotentUnary: (request, o) => rpc.callUnary(m.idempotentUnary, request, o),
    callUnimplemented: (request, o) => rpc.callUnary(m.unimplemented, request, o),
    callServerStream: (request, o) => rpc.callServerStream(m.serverStream, request, o),
    callClientStream: (requests, o) => rpc.callClientStream(m.clientStream, requests, o),
    callBidiStream: (requests, o) => rpc.callBidiStream(m.bidiStream, requests, o),
  };
}
