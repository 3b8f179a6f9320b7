import {
  create,
  type DescMessage,
  fromBinary,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  CountRequestSchema,
  CountResponseSchema,
  EchoRequestSchema,
  EchoResponseSchema,
  SumRequestSchema,
  SumResponseSchema,
} from "./gen/servertest/v1/test_pb.js";
import { type Mode, startServer } from "./helpers/servers.js";
import { testService } from "./helpers/test-service.js";
import { tlsMaterial } from "./helpers/tls.js";

// grpc-js, the reference gRPC client for Node, against our server over h2c
// and TLS, with the messages serialized by protobuf-es.

function method<I extends DescMessage, O extends DescMessage>(
  name: string,
  input: I,
  output: O,
  requestStream: boolean,
  responseStream: boolean,
) {
  return {
    path: `/servertest.v1.TestService/${name}`,
    requestStream,
    responseStream,
    requestSerialize: (m: MessageShape<I>) => Buffer.from(toBinary(input, m)),
    requestDeserialize: (b: Buffer) => fromBinary(input, b),
    responseSerialize: (m: MessageShape<O>) => Buffer.from(toBinary(output, m)),
    responseDeserialize: (b: Buffer) => fromBinary(output, b),
  };
}

const TestServiceClient = grpc.makeGenericClientConstructor(
  {
    Echo: method("Echo", EchoRequestSchema, EchoResponseSchema, false, false),
    Count: method("Count", CountRequestSchema, CountResponseSchema, false, true),
    Sum: method("Sum", SumRequestSchema, SumResponseSchema, true, false),
  },
  "TestService",
);

for (const mode of ["h2c", "h2-tls"] as Mode[]) {
  test(`grpc-js client, ${mode}: unary with metadata, server and client streams, errors`, async () => {
    const server = await startServer([testService()], mode);
    const credentials = mode.endsWith("tls")
      ? grpc.credentials.createSsl(Buffer.from(tlsMaterial().ca))
      : grpc.credentials.createInsecure();
    // Verify the certificate as "localhost": grpc-js would otherwise send the
    // IP address as the TLS server name, which RFC 6066 forbids (and Node warns about).
    const client = new TestServiceClient(`127.0.0.1:${server.port}`, credentials, {
      "grpc.ssl_target_name_override": "localhost",
    });
    try {
      const metadata = new grpc.Metadata();
      metadata.set("x-echo", "from grpc-js");
      let trailer: grpc.Metadata | undefined;
      const res = await new Promise<MessageShape<typeof EchoResponseSchema>>((resolve, reject) => {
        const call = client.makeUnaryRequest(
          "/servertest.v1.TestService/Echo",
          (m: MessageShape<typeof EchoRequestSchema>) =>
            Buffer.from(toBinary(EchoRequestSchema, m)),
          (b: Buffer) => fromBinary(EchoResponseSchema, b),
          create(EchoRequestSchema, { text: "hi grpc-js" }),
          metadata,
          { deadline: Date.now() + 5000 },
          (err: grpc.ServiceError | null, value?: MessageShape<typeof EchoResponseSchema>) =>
            err ? reject(err) : resolve(value!),
        );
        call.on("status", (s: grpc.StatusObject) => {
          trailer = s.metadata;
        });
      });
      assert.is(res.text, "hi grpc-js");
      assert.ok(res.timeRemainingMs > 0n && res.timeRemainingMs <= 5000n);
      // The status event may follow the callback by a tick.
      await new Promise((r) => setImmediate(r));
      assert.equal(trailer?.get("x-echo-trailer"), ["from grpc-js"]);

      const numbers = await new Promise<number[]>((resolve, reject) => {
        const got: number[] = [];
        const stream = client.makeServerStreamRequest(
          "/servertest.v1.TestService/Count",
          (m: MessageShape<typeof CountRequestSchema>) =>
            Buffer.from(toBinary(CountRequestSchema, m)),
          (b: Buffer) => fromBinary(CountResponseSchema, b),
          create(CountRequestSchema, { count: 4 }),
        );
        stream.on("data", (m: MessageShape<typeof CountResponseSchema>) => got.push(m.number));
        stream.on("error", reject);
        stream.on("end", () => resolve(got));
      });
      assert.equal(numbers, [1, 2, 3, 4]);

      const sum = await new Promise<MessageShape<typeof SumResponseSchema>>((resolve, reject) => {
        const call = client.makeClientStreamRequest(
          "/servertest.v1.TestService/Sum",
          (m: MessageShape<typeof SumRequestSchema>) => Buffer.from(toBinary(SumRequestSchema, m)),
          (b: Buffer) => fromBinary(SumResponseSchema, b),
          (err: grpc.ServiceError | null, value?: MessageShape<typeof SumResponseSchema>) =>
            err ? reject(err) : resolve(value!),
        );
        for (let i = 1n; i <= 4n; i++) call.write(create(SumRequestSchema, { number: i }));
        call.end();
      });
      assert.is(sum.sum, 10n);

      const failure = await new Promise<grpc.ServiceError>((resolve) => {
        client.makeUnaryRequest(
          "/servertest.v1.TestService/Echo",
          (m: MessageShape<typeof EchoRequestSchema>) =>
            Buffer.from(toBinary(EchoRequestSchema, m)),
          (b: Buffer) => fromBinary(EchoResponseSchema, b),
          create(EchoRequestSchema, { text: "no", failCode: grpc.status.PERMISSION_DENIED }),
          (err: grpc.ServiceError | null) => resolve(err!),
        );
      });
      assert.is(failure.code, grpc.status.PERMISSION_DENIED);
      assert.is(failure.details, "failed as asked: no");
    } finally {
      client.close();
      await server.close();
    }
  });
}

test.run();
