import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import {
  type Payload,
  PayloadSchema,
  type StreamRequest,
  type StreamSummary,
  StreamSummarySchema,
} from "../../gen/bench/v1/bench_pb.js";
import type { BenchServer } from "../types.js";
import { payloadOf } from "./bench-impl-common.js";
import { benchServiceDefinition } from "./grpc-js-definition.js";

/** Starts the benchmark service on grpc-js's server (HTTP/2 only, gRPC only). */
export function startGrpcJsServer(): Promise<BenchServer> {
  const server = new grpc.Server({ "grpc-node.max_session_memory": 1024 });
  server.addService(benchServiceDefinition(), {
    Unary(call: grpc.ServerUnaryCall<Payload, Payload>, callback: grpc.sendUnaryData<Payload>) {
      callback(null, create(PayloadSchema, { data: call.request.data }));
    },
    ServerStream(call: grpc.ServerWritableStream<StreamRequest, Payload>) {
      serverStream(call).catch(() => call.destroy());
    },
    ClientStream(
      call: grpc.ServerReadableStream<Payload, StreamSummary>,
      callback: grpc.sendUnaryData<StreamSummary>,
    ) {
      let messages = 0n;
      let bytes = 0n;
      call.on("data", (request: Payload) => {
        messages++;
        bytes += BigInt(request.data.byteLength);
      });
      call.on("end", () => callback(null, create(StreamSummarySchema, { messages, bytes })));
    },
    Bidi(call: grpc.ServerDuplexStream<Payload, Payload>) {
      call.on("data", (request: Payload) => {
        call.write(create(PayloadSchema, { data: request.data }));
      });
      call.on("end", () => call.end());
    },
  });
  return new Promise((resolve, reject) => {
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) => {
      if (error) {
        reject(error);
        return;
      }
      resolve({
        port,
        close: () =>
          new Promise<void>((done) => {
            server.forceShutdown();
            done();
          }),
      });
    });
  });
}

/** Writes the stream with backpressure, as a well-behaved grpc-js handler does. */
async function serverStream(call: grpc.ServerWritableStream<StreamRequest, Payload>) {
  const { count, size, hold } = call.request;
  const message = create(PayloadSchema, { data: payloadOf(size) });
  let cancelled = call.cancelled;
  call.once("cancelled", () => {
    cancelled = true;
  });
  for (let i = 0; i < count && !cancelled; i++) {
    if (!call.write(message)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          call.off("drain", done);
          call.off("cancelled", done);
          resolve();
        };
        call.on("drain", done);
        call.on("cancelled", done);
      });
    }
  }
  if (hold && !cancelled) {
    await new Promise<void>((resolve) => call.once("cancelled", () => resolve()));
    return;
  }
  if (!cancelled) call.end();
}
