import { create, toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseTrailerBlock } from "../src/grpc-web/trailer-frame.js";
import { parseGrpcTimeout } from "../src/grpc/timeout.js";
import { errorFromStatus, percentDecodeMessage } from "../src/grpc/trailer-status.js";
import {
  ConnectError,
  createMemoryTransport,
  createRouter,
  Metadata,
  type Protocol,
  RpcClient,
} from "../src/index.js";
import { EchoRequestSchema, EchoResponseSchema, TestService } from "./gen/testpb/v1/test_pb.js";
import { envelopes, frames, rawRequest, readResponse } from "./support/raw.js";
import { testGzip } from "./support/test-gzip.js";
import { testService } from "./support/test-service.js";

const M = TestService.method;
const router = createRouter([testService], { compression: [testGzip], readMaxBytes: 4096 });

/** Valid bodies to start from, then damaged at random. */
const validRequest = envelopes([
  0,
  toBinary(EchoRequestSchema, create(EchoRequestSchema, { text: "x", count: 2 })),
]);
const damage = fc.record({
  flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
  cut: fc.option(fc.nat(), { nil: undefined }),
  junk: fc.uint8Array({ maxLength: 12 }),
});
function damaged(
  bytes: Uint8Array,
  d: { flips: [number, number][]; cut?: number | undefined; junk: Uint8Array },
) {
  let out = bytes.slice();
  for (const [at, v] of d.flips) if (out.length > 0) out[at % out.length] = v;
  if (d.cut !== undefined) out = out.subarray(0, d.cut % (out.length + 1));
  const joined = new Uint8Array(out.length + d.junk.length);
  joined.set(out);
  joined.set(d.junk, out.length);
  return joined;
}

test("the gRPC and gRPC-Web handlers answer any body with a well-formed status, never a throw", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom("application/grpc", "application/grpc+json", "application/grpc-web+proto"),
      fc.constantFrom("Unary", "ServerStream", "ClientStream", "Bidi"),
      fc.option(fc.constantFrom("gzip", "identity", "bogus"), { nil: undefined }),
      damage,
      async (type, method, encoding, d) => {
        const headers: Record<string, string> = { "content-type": type };
        if (encoding !== undefined) headers["grpc-encoding"] = encoding;
        const res = await router.handle(
          rawRequest({
            path: `/testpb.v1.TestService/${method}`,
            headers,
            body: damaged(validRequest, d),
          }),
        );
        const read = await readResponse(res);
        assert.is(read.status, 200);
        const status = type.startsWith("application/grpc-web")
          ? parseTrailerBlock(frames(read.body).at(-1)!.data).get("grpc-status")
          : (res.trailers?.get("grpc-status") ?? res.headers.get("grpc-status"));
        assert.ok(status !== undefined && /^([0-9]|1[0-6])$/.test(status), String(status));
      },
    ),
    { numRuns: 300 },
  );
});

test("gRPC clients turn any response into messages or a ConnectError", async () => {
  const good = envelopes(
    [0, toBinary(EchoResponseSchema, create(EchoResponseSchema, { text: "r" }))],
    [0x80, "grpc-status: 0\r\n"],
  );
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom<Protocol>("grpc", "grpc-web"),
      fc.boolean(),
      damage,
      fc.dictionary(
        fc.constantFrom("grpc-status", "grpc-message", "grpc-status-details-bin", "x-a"),
        fc.string({ maxLength: 12 }),
      ),
      async (protocol, stream, d, trailerInit) => {
        const transport = createMemoryTransport(async (req) => {
          await req.body.readAll(1 << 16);
          return {
            status: 200,
            headers: new Metadata({
              "content-type":
                protocol === "grpc" ? "application/grpc" : "application/grpc-web+proto",
            }),
            body: damaged(good, d),
            trailers: new Metadata(trailerInit),
          };
        });
        const client = new RpcClient(transport, { protocol });
        if (stream) {
          const out = client.callServerStream(M.serverStream, {});
          for await (const _ of out);
          assert.ok(out.error === undefined || out.error instanceof ConnectError);
        } else {
          const out = await client.callUnary(M.unary, {});
          assert.ok((out.error === undefined) !== (out.message === undefined));
          assert.ok(out.error === undefined || out.error instanceof ConnectError);
        }
      },
    ),
    { numRuns: 300 },
  );
});

test("header parsers take any text without throwing anything but ConnectError", () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 30 }), fc.string({ maxLength: 30 }), (a, b) => {
      percentDecodeMessage(a);
      const e = errorFromStatus(
        new Metadata({ "grpc-status": a, "grpc-message": b, "grpc-status-details-bin": b }),
        new Metadata(),
      );
      assert.ok(e === undefined || e instanceof ConnectError);
      for (const f of [
        () => parseGrpcTimeout(a),
        () => parseTrailerBlock(new TextEncoder().encode(`${a}\r\n${b}`)),
      ]) {
        try {
          f();
        } catch (err) {
          assert.instance(err, ConnectError);
        }
      }
    }),
    { numRuns: 500 },
  );
});

test.run();
