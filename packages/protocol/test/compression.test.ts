import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  type ClientOptions,
  Code,
  createMemoryTransport,
  createRouter,
  type HttpResponse,
  Metadata,
  RpcClient,
  type RouterOptions,
  type Transport,
} from "../src/index.js";
import { TestService } from "./gen/testpb/v1/test_pb.js";
import { envelopes, frames, rawRequest, readResponse } from "./support/raw.js";
import { createXorCompression, testGzip } from "./support/test-gzip.js";
import { testService } from "./support/test-service.js";

const M = TestService.method;
const P = "/testpb.v1.TestService";

/** A client and router with a transport that records what crossed it. */
function spied(clientOptions: ClientOptions, routerOptions: RouterOptions) {
  const inner = createMemoryTransport(createRouter([testService], routerOptions));
  const log: { url: string; request: Metadata; response?: HttpResponse }[] = [];
  const transport: Transport = {
    ...inner,
    async request(req) {
      const entry: (typeof log)[number] = { url: req.url, request: new Metadata(req.headers) };
      log.push(entry);
      entry.response = await inner.request(req);
      return entry.response;
    },
  };
  return { client: new RpcClient(transport, clientOptions), log };
}

const long = "compress me ".repeat(200);

test("unary: request and response compressed, negotiated by Content-Encoding and Accept-Encoding", async () => {
  const xor = createXorCompression();
  const { client, log } = spied(
    { compression: { send: testGzip, accept: [xor, testGzip], minBytes: 0 } },
    { compression: [testGzip, xor] },
  );
  const res = await client.unary(M.unary, { text: long });
  assert.is(res.text, long);
  assert.is(log[0]!.request.get("content-encoding"), "gzip");
  assert.is(log[0]!.request.get("accept-encoding"), "xor, gzip");
  // The server answers with the client's first choice that it supports.
  assert.is(log[0]!.response!.headers.get("content-encoding"), "xor");
  assert.is(xor.uses.compress, 1);
  assert.is(xor.uses.decompress, 1);
});

test("unary: small messages go uncompressed on both sides", async () => {
  const { client, log } = spied({ compression: { send: testGzip } }, { compression: [testGzip] });
  await client.unary(M.unary, { text: "tiny" });
  assert.is(log[0]!.request.get("content-encoding"), undefined);
  assert.is(log[0]!.response!.headers.get("content-encoding"), undefined);
  await client.unary(M.unary, { text: long });
  assert.is(log[1]!.request.get("content-encoding"), "gzip");
  assert.is(log[1]!.response!.headers.get("content-encoding"), "gzip");
});

test("unary: an unsupported request encoding is unimplemented, listing the supported ones", async () => {
  const xor = createXorCompression();
  const { client } = spied(
    { compression: { send: xor, minBytes: 0 } },
    { compression: [testGzip] },
  );
  const out = await client.callUnary(M.unary, { text: "x" });
  assert.is(out.error?.code, Code.Unimplemented);
  assert.match(out.error!.rawMessage, /gzip/);
  const { client: none } = spied({ compression: { send: xor, minBytes: 0 } }, {});
  const out2 = await none.callUnary(M.unary, { text: "x" });
  assert.is(out2.error?.code, Code.Unimplemented);
  assert.match(out2.error!.rawMessage, /identity/);
  const s = none.callServerStream(M.serverStream, { count: 1 });
  for await (const _ of s);
  assert.is(s.error?.code, Code.Unimplemented);
});

test("server: without Accept-Encoding the response uses the request's encoding", async () => {
  const router = createRouter([testService], { compression: [testGzip], compressMinBytes: 0 });
  const body = await testGzip.compress(new TextEncoder().encode(JSON.stringify({ text: long })));
  const res = await readResponse(
    await router.handle(
      rawRequest({
        path: `${P}/Unary`,
        headers: { "content-type": "application/json", "content-encoding": "gzip" },
        body,
      }),
    ),
  );
  assert.is(res.status, 200);
  assert.is(res.headers.get("content-encoding"), "gzip");
  const plain = await testGzip.decompress(res.body, 1 << 20);
  assert.equal(JSON.parse(new TextDecoder().decode(plain)), { text: long });
  // "identity" and an empty body are never decompressed.
  const id = await readResponse(
    await router.handle(
      rawRequest({
        path: `${P}/Unary`,
        headers: { "content-type": "application/proto", "content-encoding": "identity" },
        body: new Uint8Array(0),
      }),
    ),
  );
  assert.is(id.status, 200);
  const empty = await readResponse(
    await router.handle(
      rawRequest({
        path: `${P}/Unary`,
        headers: { "content-type": "application/proto", "content-encoding": "gzip" },
        body: new Uint8Array(0),
      }),
    ),
  );
  assert.is(empty.status, 200);
});

test("unary error bodies are compressed too, and the client reads them", async () => {
  const { client, log } = spied(
    { compression: { accept: [testGzip] } },
    { compression: [testGzip], compressMinBytes: 0 },
  );
  const out = await client.callUnary(M.unary, { text: "nope", failCode: Code.PermissionDenied });
  assert.is(log[0]!.response!.headers.get("content-encoding"), "gzip");
  assert.is(out.error?.code, Code.PermissionDenied);
  assert.is(out.error?.rawMessage, "nope");
  assert.is(out.error?.details.length, 1);
});

test("streams: Connect-Content-Encoding, the per-message flag and a compressed end-stream", async () => {
  const router = createRouter([testService], { compression: [testGzip], compressMinBytes: 0 });
  const msg = await testGzip.compress(
    new TextEncoder().encode(JSON.stringify({ text: "s", count: 2, failCode: 9 })),
  );
  const res = await readResponse(
    await router.handle(
      rawRequest({
        path: `${P}/ServerStream`,
        headers: {
          "content-type": "application/connect+json",
          "connect-content-encoding": "gzip",
          "connect-accept-encoding": "gzip",
        },
        body: envelopes([1, msg]),
      }),
    ),
  );
  assert.is(res.headers.get("connect-content-encoding"), "gzip");
  const fs = frames(res.body);
  assert.equal(
    fs.map((f) => f.flags),
    [1, 1, 3],
  );
  const end = JSON.parse(new TextDecoder().decode(await testGzip.decompress(fs[2]!.data, 1 << 20)));
  assert.is(end.error.code, "failed_precondition");
  // An error before the first message: the end-stream alone, compressed, and the header says so.
  const early = await readResponse(
    await router.handle(
      rawRequest({
        path: `${P}/ServerStream`,
        headers: {
          "content-type": "application/connect+json",
          "connect-accept-encoding": "gzip",
        },
        body: envelopes([0, JSON.stringify({ text: "e", count: 0, failCode: 5 })]),
      }),
    ),
  );
  assert.is(early.headers.get("connect-content-encoding"), "gzip");
  const only = frames(early.body);
  assert.equal(
    only.map((f) => f.flags),
    [3],
  );
  const endEarly = JSON.parse(
    new TextDecoder().decode(await testGzip.decompress(only[0]!.data, 1 << 20)),
  );
  assert.is(endEarly.error.code, "not_found");
  // Uncompressed frames are fine in a compressed stream.
  const mixed = await readResponse(
    await router.handle(
      rawRequest({
        path: `${P}/ClientStream`,
        headers: { "content-type": "application/connect+json", "connect-content-encoding": "gzip" },
        body: envelopes(
          [0, '{"text":"a"}'],
          [1, await testGzip.compress(new TextEncoder().encode('{"text":"b"}'))],
        ),
      }),
    ),
  );
  const first = frames(mixed.body)[0]!;
  const text =
    first.flags & 1
      ? new TextDecoder().decode(await testGzip.decompress(first.data, 1 << 20))
      : first.text;
  assert.equal(JSON.parse(text), { text: "a,b", index: 2 });
});

test("streams round-trip with compression through the client, all kinds", async () => {
  const { client, log } = spied(
    { compression: { send: testGzip, minBytes: 0 } },
    { compression: [testGzip], compressMinBytes: 0 },
  );
  const got: string[] = [];
  for await (const r of client.serverStream(M.serverStream, { text: long, count: 3 }))
    got.push(r.text);
  assert.equal(got, [long, long, long]);
  assert.is(log[0]!.request.get("connect-content-encoding"), "gzip");
  assert.is(log[0]!.request.get("connect-accept-encoding"), "gzip");
  assert.is(log[0]!.response!.headers.get("connect-content-encoding"), "gzip");
  const res = await client.clientStream(M.clientStream, [{ text: "a" }, { text: "b" }]);
  assert.is(res.text, "a,b");
  const b = client.callBidiStream(M.bidi, [
    { text: "x" },
    { text: "y", failCode: Code.Unauthenticated },
  ]);
  for await (const _ of b);
  assert.is(b.error?.code, Code.Unauthenticated);
});

test("decompression is bounded by the read limit on both ends", async () => {
  const zeros = JSON.stringify({ text: "0".repeat(200_000) });
  const bomb = await testGzip.compress(new TextEncoder().encode(zeros));
  assert.ok(bomb.length < 2000);
  const router = createRouter([testService], { compression: [testGzip], readMaxBytes: 10_000 });
  const res = await readResponse(
    await router.handle(
      rawRequest({
        path: `${P}/Unary`,
        headers: { "content-type": "application/json", "content-encoding": "gzip" },
        body: bomb,
      }),
    ),
  );
  assert.is(res.status, 429);
  const s = await readResponse(
    await router.handle(
      rawRequest({
        path: `${P}/ClientStream`,
        headers: { "content-type": "application/connect+json", "connect-content-encoding": "gzip" },
        body: envelopes([1, bomb]),
      }),
    ),
  );
  assert.is(JSON.parse(frames(s.body).at(-1)!.text).error.code, "resource_exhausted");
  const { client } = spied(
    { compression: { accept: [testGzip] }, readMaxBytes: 10_000 },
    { compression: [testGzip] },
  );
  const out = await client.callUnary(M.unary, { text: "0".repeat(200_000) });
  assert.is(out.error?.code, Code.ResourceExhausted);
});

test("corrupt compressed data: invalid_argument on the server, internal on the client", async () => {
  const router = createRouter([testService], { compression: [testGzip] });
  const res = await readResponse(
    await router.handle(
      rawRequest({
        path: `${P}/Unary`,
        headers: { "content-type": "application/json", "content-encoding": "gzip" },
        body: "not gzip",
      }),
    ),
  );
  assert.is(res.status, 400);
  const transport = createMemoryTransport(async () => ({
    status: 200,
    headers: new Metadata({ "content-type": "application/proto", "content-encoding": "gzip" }),
    body: new TextEncoder().encode("not gzip"),
  }));
  const out = await new RpcClient(transport, { compression: { accept: [testGzip] } }).callUnary(
    M.unary,
    {},
  );
  assert.is(out.error?.code, Code.Internal);
});

test("a response in an encoding the client did not offer is internal", async () => {
  const transport = createMemoryTransport(async () => ({
    status: 200,
    headers: new Metadata({ "content-type": "application/proto", "content-encoding": "br" }),
    body: new Uint8Array([1]),
  }));
  const out = await new RpcClient(transport, { compression: { accept: [testGzip] } }).callUnary(
    M.unary,
    {},
  );
  assert.is(out.error?.code, Code.Internal);
});

test("GET with compression puts it in the query and round-trips", async () => {
  const { client, log } = spied(
    { codec: "json", useHttpGet: true, compression: { send: testGzip, minBytes: 0 } },
    { compression: [testGzip] },
  );
  const res = await client.unary(M.lookup, { text: "zipped" });
  assert.is(res.text, "found zipped");
  assert.match(
    log[0]!.url,
    /\?connect=v1&encoding=json&message=[A-Za-z0-9_-]+&base64=1&compression=gzip$/,
  );
});

test.run();
