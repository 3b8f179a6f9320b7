import type { MessageInitShape } from "@bufbuild/protobuf";
import { createClient } from "@connect-ts/protocol";
import { createHttp1Transport } from "@connect-ts/transport-http1";
import { createHttp2Transport } from "@connect-ts/transport-http2";
import { BenchService, type PayloadSchema } from "../../gen/bench/v1/bench_pb.js";
import { PushQueue } from "../push-queue.js";
import type { BenchClient, HttpVersion, Wire } from "../types.js";

/** A connect-ts client (`createClient` over transport-http1 or transport-http2). */
export function createOursClient(
  httpVersion: HttpVersion,
  wire: Wire,
  baseUrl: string,
): BenchClient {
  const transport =
    httpVersion === "2" ? createHttp2Transport({ baseUrl }) : createHttp1Transport({ baseUrl });
  const client = createClient(BenchService, transport, { protocol: wire });
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
      const summary = await client.clientStream(messages.map((data) => ({ data })));
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
    close: () => transport.close(),
  };
}
