import type { HandlerContext, ServiceImpl } from "@connect-ts/protocol";
import type { BenchService } from "../../gen/bench/v1/bench_pb.js";
import { holdUntilAborted, payloadOf } from "./bench-impl-common.js";

/** The benchmark service on connect-ts. */
export const oursImpl: ServiceImpl<typeof BenchService> = {
  unary(request) {
    return { data: request.data };
  },
  async *serverStream(request, context: HandlerContext) {
    const data = payloadOf(request.size);
    for (let i = 0; i < request.count; i++) yield { data };
    if (request.hold) await holdUntilAborted(context.signal);
  },
  async clientStream(requests) {
    let messages = 0n;
    let bytes = 0n;
    for await (const request of requests) {
      messages++;
      bytes += BigInt(request.data.byteLength);
    }
    return { messages, bytes };
  },
  async *bidi(requests) {
    for await (const request of requests) yield { data: request.data };
  },
};
