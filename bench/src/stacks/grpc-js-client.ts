import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import {
  type Payload,
  PayloadSchema,
  type StreamRequest,
  StreamRequestSchema,
  type StreamSummary,
  StreamSummarySchema,
} from "../../gen/bench/v1/bench_pb.js";
import type { BenchClient } from "../types.js";
import { methodPath } from "../types.js";
import { deserializer, serializer } from "./grpc-js-definition.js";

/** A grpc-js client for the benchmark service (HTTP/2, gRPC). */
export function createGrpcJsClient(baseUrl: string): BenchClient {
  const client = new grpc.Client(new URL(baseUrl).host, grpc.credentials.createInsecure(), {
    "grpc-node.max_session_memory": 1024,
  });
  const writePayload = serializer(PayloadSchema);
  const readPayload = deserializer(PayloadSchema);
  return {
    unary(data) {
      return new Promise((resolve, reject) => {
        client.makeUnaryRequest<Payload, Payload>(
          methodPath("Unary"),
          writePayload,
          readPayload,
          create(PayloadSchema, { data }),
          (error, response) => {
            if (error || response === undefined) reject(error ?? new Error("no response"));
            else resolve(response.data);
          },
        );
      });
    },
    async serverStream(count, size) {
      const call = client.makeServerStreamRequest<StreamRequest, Payload>(
        methodPath("ServerStream"),
        serializer(StreamRequestSchema),
        readPayload,
        create(StreamRequestSchema, { count, size }),
      );
      let bytes = 0;
      for await (const message of call as AsyncIterable<Payload>) bytes += message.data.byteLength;
      return bytes;
    },
    clientStream(messages) {
      return new Promise((resolve, reject) => {
        const call = client.makeClientStreamRequest<Payload, StreamSummary>(
          methodPath("ClientStream"),
          writePayload,
          deserializer(StreamSummarySchema),
          (error, summary) => {
            if (error || summary === undefined) reject(error ?? new Error("no response"));
            else resolve(Number(summary.messages));
          },
        );
        for (const data of messages) call.write(create(PayloadSchema, { data }));
        call.end();
      });
    },
    bidi() {
      const call = client.makeBidiStreamRequest<Payload, Payload>(
        methodPath("Bidi"),
        writePayload,
        readPayload,
      );
      const responses = (call as AsyncIterable<Payload>)[Symbol.asyncIterator]();
      return {
        async ping(data) {
          call.write(create(PayloadSchema, { data }));
          const next = await responses.next();
          if (next.done) throw new Error("bidi stream ended early");
          return next.value.data;
        },
        async close() {
          call.end();
          while (!(await responses.next()).done) {}
        },
      };
    },
    async close() {
      client.close();
    },
  };
}
