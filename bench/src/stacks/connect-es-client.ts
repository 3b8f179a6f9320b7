import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { BenchService, type PayloadSchema } from "../../gen/bench/v1/bench_pb.js";
import { PushQueue } from "../push-queue.js";
import type { BenchClient, HttpVersion, Wire } from "../types.js";
import type { MessageInitShape } from "@bufbuild/protobuf";

/** A connect-es client (connect-node transports) for the benchmark service. */
export function createConnectEsClient(
  httpVersion: HttpVersion,
  wire: Wire,
  baseUrl: string,
): BenchClient {
  const transport =
    wire === "grpc"
      ? createGrpcTransport({ baseUrl })
      : httpVersion === "2"
        ? createConnectTransport({ baseUrl, httpVersion: "2" })
        : createConnectTransport({ baseUrl, httpVersion: "1.1" });
  const client = createClient(BenchService, transport);
  return {
    async unary(data) {
      return (await client.unary({ data })).data;
    },
    async serverStream(count, size) {
      let bytes = 0;
      for await (const message of client.serverStream({ count, size })) {
        bytes += message.data.byteLength;
      }
      return bytes;
    },
    async clientStream(messages) {
      const summary = await client.clientStream(toAsync(messages.map((data) => ({ data }))));
      return Number(summary.messages);
    },
    bidi() {
      const requests = new PushQueue<MessageInitShape<typeof PayloadSchema>>();
      const responses = client.bidi(requests)[Symbol.asyncIterator]();
      return {
        async ping(data) {
          requests.push({ data });
          const next = await responses.next();
          if (next.done) throw new Error("bidi stream ended early");
          return next.value.data;
        },
        async close() {
          requests.end();
          while (!(await responses.next()).done) {}
        },
      };
    },
    async close() {},
  };
}

/** Feeds a list as the async iterable connect-es takes for client streams. */
async function* toAsync<T>(items: readonly T[]): AsyncGenerator<T> {
  yield* items;
}
