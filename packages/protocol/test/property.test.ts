import { create, toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  ConnectError,
  createMemoryTransport,
  createRouter,
  EnvelopeDecoder,
  encodeEnvelope,
  Metadata,
  RpcClient,
} from "../src/index.js";
import { EchoRequestSchema, EchoResponseSchema, TestService } from "./gen/testpb/v1/test_pb.js";
import { envelopes, rawRequest, readResponse } from "./support/raw.js";
import { createXorCompression } from "./support/test-gzip.js";
import { testService } from "./support/test-service.js";

const M = TestService.method;
const enc = new TextEncoder();

/** Cuts bytes into chunks at the given points. */
function chunk(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let last = 0;
  for (const p of points) {
    out.push(bytes.subarray(last, p));
    last = p;
  }
  out.push(bytes.subarray(last));
  return out;
}

/** Applies random damage to valid bytes: flips, truncation, insertion. */
const mutation = fc.record({
  flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
  truncate: fc.option(fc.nat(), { nil: undefined }),
  insert: fc.option(fc.tuple(fc.nat(), fc.uint8Array({ maxLength: 8 })), { nil: undefined }),
});
function mutate(
  bytes: Uint8Array,
  m: {
    flips: [number, number][];
    truncate?: number | undefined;
    insert?: [number, Uint8Array] | undefined;
  },
): Uint8Array {
  let out = bytes.slice();
  for (const [at, value] of m.flips) if (out.length > 0) out[at % out.length] = value;
  if (m.truncate !== undefined) out = out.subarray(0, m.truncate % (out.length + 1));
  if (m.insert !== undefined) {
    const [at, extra] = m.insert;
    const p = at % (out.length + 1);
    const joined = new Uint8Array(out.length + extra.length);
    joined.set(out.subarray(0, p));
    joined.set(extra, p);
    joined.set(out.subarray(p), p + extra.length);
    out = joined;
  }
  return out;
}

const frameArb = fc.record({
  flags: fc.integer({ min: 0, max: 255 }),
  data: fc.uint8Array({ maxLength: 40 }),
});

test("decoder: any frames, cut anywhere, come back whole", () => {
  fc.assert(
    fc.property(
      fc.array(frameArb, { maxLength: 6 }),
      fc.array(fc.nat(), { maxLength: 8 }),
      (frames, cuts) => {
        const all = envelopes(...frames.map((f) => [f.flags, f.data] as [number, Uint8Array]));
        const d = new EnvelopeDecoder(40);
        const got = chunk(all, cuts).flatMap((c) => d.push(c));
        d.end();
        assert.equal(
          got.map((f) => [f.flags, [...f.data]]),
          frames.map((f) => [f.flags, [...f.data]]),
        );
      },
    ),
    { numRuns: 300 },
  );
});

test("decoder: random and mutated bytes give frames or a ConnectError, nothing else", () => {
  const input = fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    fc
      .tuple(fc.array(frameArb, { maxLength: 4 }), mutation)
      .map(([frames, m]) =>
        mutate(envelopes(...frames.map((f) => [f.flags, f.data] as [number, Uint8Array])), m),
      ),
  );
  fc.assert(
    fc.property(
      input,
      fc.array(fc.nat(), { maxLength: 6 }),
      fc.integer({ min: 0, max: 64 }),
      (bytes, cuts, max) => {
        const d = new EnvelopeDecoder(max);
        try {
          let total = 0;
          for (const c of chunk(bytes, cuts)) {
            for (const f of d.push(c)) {
              assert.ok(f.data.length <= max);
              total += 5 + f.data.length;
            }
          }
          d.end();
          assert.is(total, bytes.length);
        } catch (e) {
          if (!(e instanceof ConnectError)) throw e;
        }
      },
    ),
    { numRuns: 500 },
  );
});

const router = createRouter([testService], {
  readMaxBytes: 256,
  compression: [createXorCompression()],
});
const paths = TestService.methods
  .map((m) => `/${TestService.typeName}/${m.name}`)
  .concat(["/nope", "/"]);
const contentTypes = [
  "application/proto",
  "application/json",
  "application/connect+proto",
  "application/connect+json",
  "application/json; charset=utf-8",
  "text/plain",
];
const validJson = enc.encode(JSON.stringify({ text: "hi", count: 2 }));
const validProto = toBinary(EchoRequestSchema, create(EchoRequestSchema, { text: "hi", count: 2 }));

const bodyArb = fc.oneof(
  fc.uint8Array({ maxLength: 80 }),
  fc.constantFrom(
    validJson,
    validProto,
    envelopes([0, validJson]),
    envelopes([0, validProto], [0, validProto]),
  ),
  fc
    .tuple(
      fc.constantFrom(
        validJson,
        validProto,
        envelopes([0, validJson]),
        envelopes([0, validProto], [2, "{}"]),
      ),
      mutation,
    )
    .map(([b, m]) => mutate(b, m)),
  fc.json().map((j) => enc.encode(j)),
);

const headerArb = fc.record(
  {
    "connect-timeout-ms": fc.oneof(
      fc.constantFrom("1", "100", "9999999999", "", "abc", "12345678901"),
      fc.string({ maxLength: 12 }),
    ),
    "content-encoding": fc.constantFrom("xor", "gzip", "identity", ""),
    "connect-content-encoding": fc.constantFrom("xor", "gzip", "identity"),
    "accept-encoding": fc.constantFrom("xor", "gzip, xor", ""),
    "connect-protocol-version": fc.constantFrom("1", "2", ""),
  },
  { requiredKeys: [] },
);

test("router: random and mutated requests always get an answer, never a throw", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom("POST", "GET", "PUT"),
      fc.constantFrom(...paths),
      fc.constantFrom(...contentTypes),
      headerArb,
      bodyArb,
      fc.array(fc.nat(), { maxLength: 4 }),
      fc.string({ maxLength: 40 }),
      async (method, path, type, headers, body, cuts, query) => {
        async function* stream() {
          for (const c of chunk(body, cuts)) yield c;
        }
        const req = rawRequest({
          method,
          path,
          query: method === "GET" ? `encoding=json&message=${encodeURIComponent(query)}` : "",
          headers: { "content-type": type, ...headers },
          body: stream(),
        });
        const res = await readResponse(await router.handle(req));
        assert.type(res.status, "number");
        if (res.status !== 200 && res.headers.get("content-type") === "application/json") {
          assert.type((res.json as { code: unknown }).code, "string");
        }
      },
    ),
    { numRuns: 400 },
  );
});

test("client: random and mutated responses end in a message or a ConnectError", async () => {
  const ok = toBinary(EchoResponseSchema, create(EchoResponseSchema, { text: "r" }));
  const responseArb = fc.record({
    status: fc.constantFrom(200, 200, 200, 400, 404, 500, 502, 503),
    type: fc.constantFrom(
      "application/proto",
      "application/connect+proto",
      "application/json",
      "text/html",
    ),
    encoding: fc.constantFrom(undefined, "xor", "gzip"),
    body: fc.oneof(
      fc.uint8Array({ maxLength: 60 }),
      fc
        .tuple(
          fc.constantFrom(
            ok,
            envelopes([0, ok], [2, "{}"]),
            enc.encode('{"code":"aborted","details":[{"type":"x","value":"AA"}]}'),
            envelopes([2, '{"error":{"code":"internal"}}']),
          ),
          mutation,
        )
        .map(([b, m]) => mutate(b, m)),
    ),
  });
  await fc.assert(
    fc.asyncProperty(responseArb, fc.array(fc.nat(), { maxLength: 4 }), async (r, cuts) => {
      const transport = createMemoryTransport(async (req) => {
        await req.body.readAll(1 << 16);
        async function* body() {
          for (const c of chunk(r.body, cuts)) yield c;
        }
        const headers = new Metadata({ "content-type": r.type });
        if (r.encoding !== undefined)
          headers.set("content-encoding", r.encoding).set("connect-content-encoding", r.encoding);
        return { status: r.status, headers, body: body() };
      });
      const client = new RpcClient(transport, {
        readMaxBytes: 128,
        compression: { accept: [createXorCompression()] },
      });
      const u = await client.callUnary(M.unary, {});
      assert.ok((u.message === undefined) !== (u.error === undefined));
      if (u.error !== undefined) assert.instance(u.error, ConnectError);
      const s = client.callServerStream(M.serverStream, {});
      for await (const m of s) assert.is(m.$typeName, "testpb.v1.EchoResponse");
      if (s.error !== undefined) assert.instance(s.error, ConnectError);
      try {
        await client.clientStream(M.clientStream, [{}]);
      } catch (e) {
        assert.instance(e, ConnectError);
      }
    }),
    { numRuns: 300 },
  );
});

test("encodeEnvelope and the decoder agree on lengths near byte boundaries", () => {
  for (const n of [0, 1, 255, 256, 65535, 65536]) {
    const d = new EnvelopeDecoder(1 << 17);
    const [f] = d.push(encodeEnvelope(0, new Uint8Array(n)));
    assert.is(f?.data.length, n);
  }
});

test.run();
