import { create, toBinary } from "@bufbuild/protobuf";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  Code,
  createMemoryTransport,
  Metadata,
  RpcClient,
  type ServerResponse,
} from "../src/index.js";
import { EchoResponseSchema, TestService } from "./gen/testpb/v1/test_pb.js";
import { envelopes } from "./support/raw.js";

// A gRPC unary answer's body is read whole: these check that every shape of
// body still ends the call as it should.

const M = TestService.method;
const reply = (text: string) => toBinary(EchoResponseSchema, create(EchoResponseSchema, { text }));

function clientAnswering(
  body: Uint8Array | AsyncIterable<Uint8Array> | undefined,
  trailers: Record<string, string>,
  readMaxBytes?: number,
) {
  const transport = createMemoryTransport(async (req): Promise<ServerResponse> => {
    await req.body.readAll(1 << 20);
    return {
      status: 200,
      headers: new Metadata({ "content-type": "application/grpc" }),
      body,
      trailers: new Metadata(trailers),
    };
  });
  return new RpcClient(transport, { protocol: "grpc", readMaxBytes });
}

async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

test("one message, in one chunk or byte by byte, with status 0", async () => {
  const body = envelopes([0, reply("hello")]);
  for (const source of [body, chunked(body, 1)]) {
    const out = await clientAnswering(source, { "grpc-status": "0", "x-t": "1" }).callUnary(
      M.unary,
      {},
    );
    assert.is(out.error, undefined);
    assert.is(out.message?.text, "hello");
    assert.is(out.trailers.get("x-t"), "1");
    assert.is(out.trailers.has("grpc-status"), false);
  }
});

test("a lone grpc-status 0 leaves no trailers; a compressed flag without an encoding is internal", async () => {
  const body = envelopes([0, reply("hi")]);
  const out = await clientAnswering(body, { "grpc-status": "0" }).callUnary(M.unary, {});
  assert.is(out.message?.text, "hi");
  assert.is(out.trailers.size, 0);
  const flagged = envelopes([1, reply("hi")]);
  const bad = await clientAnswering(flagged, { "grpc-status": "0" }).callUnary(M.unary, {});
  assert.is(bad.error?.code, Code.Internal);
  const odd = envelopes([4, reply("hi")]);
  const badFlags = await clientAnswering(odd, { "grpc-status": "0" }).callUnary(M.unary, {});
  assert.is(badFlags.error?.code, Code.Internal);
});

test("two messages are unimplemented, even when together they pass the read limit", async () => {
  const two = envelopes([0, reply("a".repeat(80))], [0, reply("b".repeat(80))]);
  for (const limit of [undefined, 100]) {
    const out = await clientAnswering(two, { "grpc-status": "0" }, limit).callUnary(M.unary, {});
    assert.is(out.error?.code, Code.Unimplemented, `limit ${limit}`);
  }
});

test("a message over the read limit is resource_exhausted, whether or not it arrives whole", async () => {
  const big = envelopes([0, reply("x".repeat(5000))]);
  const truncated = big.subarray(0, 50);
  for (const body of [big, truncated]) {
    const out = await clientAnswering(body, { "grpc-status": "0" }, 100).callUnary(M.unary, {});
    assert.is(out.error?.code, Code.ResourceExhausted);
  }
});

test("no message: the trailers' status, or unimplemented when it is 0", async () => {
  const failed = await clientAnswering(undefined, {
    "grpc-status": String(Code.NotFound),
    "grpc-message": "gone",
  }).callUnary(M.unary, {});
  assert.is(failed.error?.code, Code.NotFound);
  assert.is(failed.error?.rawMessage, "gone");
  const empty = await clientAnswering(new Uint8Array(0), { "grpc-status": "0" }).callUnary(
    M.unary,
    {},
  );
  assert.is(empty.error?.code, Code.Unimplemented);
});

test("a body cut inside an envelope is internal", async () => {
  const body = envelopes([0, reply("hello")]);
  const out = await clientAnswering(body.subarray(0, body.length - 2), {
    "grpc-status": "0",
  }).callUnary(M.unary, {});
  assert.is(out.error?.code, Code.Internal);
});

test.run();
