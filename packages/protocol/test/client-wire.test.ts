import { create, toBinary } from "@bufbuild/protobuf";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  Code,
  codeToHttpStatus,
  codeToString,
  ConnectError,
  createMemoryTransport,
  createRouter,
  encodeEnvelope,
  httpStatusToCode,
  Metadata,
  RpcClient,
  type ServerRequest,
  type ServerResponse,
} from "../src/index.js";
import { EchoResponseSchema, TestService } from "./gen/testpb/v1/test_pb.js";
import { envelopes } from "./support/raw.js";
import { testService } from "./support/test-service.js";

const M = TestService.method;
const enc = new TextEncoder();

/** A client against a handler that answers with fixed bytes, recording the requests it saw. */
function against(
  answer: (req: ServerRequest) => ServerResponse | Promise<ServerResponse>,
  options: ConstructorParameters<typeof RpcClient>[1] = {},
) {
  const seen: { req: ServerRequest; body: Uint8Array }[] = [];
  const transport = createMemoryTransport(async (req) => {
    const body = await req.body.readAll(1 << 20);
    seen.push({ req, body });
    return answer(req);
  });
  return { client: new RpcClient(transport, options), seen };
}

function reply(
  status: number,
  headers: Record<string, string>,
  body?: string | Uint8Array,
): ServerResponse {
  return {
    status,
    headers: new Metadata(headers),
    body: typeof body === "string" ? enc.encode(body) : body,
  };
}

test("HTTP status to code, for responses without a Connect error", async () => {
  const table: [number, Code][] = [
    [400, Code.Internal],
    [401, Code.Unauthenticated],
    [403, Code.PermissionDenied],
    [404, Code.Unimplemented],
    [429, Code.Unavailable],
    [502, Code.Unavailable],
    [503, Code.Unavailable],
    [504, Code.Unavailable],
    [500, Code.Unknown],
    [418, Code.Unknown],
    [409, Code.Unknown],
    [302, Code.Unknown],
  ];
  for (const [status, code] of table) {
    assert.is(httpStatusToCode(status), code);
    const { client } = against(() =>
      reply(status, { "content-type": "text/html" }, "<html>Bad Gateway</html>"),
    );
    const out = await client.callUnary(M.unary, {});
    assert.is(out.error?.code, code, `unary HTTP ${status}`);
    const s = client.callServerStream(M.serverStream, {});
    for await (const _ of s);
    assert.is(s.error?.code, code, `stream HTTP ${status}`);
  }
});

test("all 16 codes are read from error JSON, whatever the status says", async () => {
  for (let code = 1 as Code; code <= 16; code++) {
    const { client } = against(() =>
      reply(
        codeToHttpStatus(code),
        { "content-type": "application/json", "x-h": "1", "trailer-x-t": "2" },
        JSON.stringify({ code: codeToString(code), message: "boom" }),
      ),
    );
    const out = await client.callUnary(M.unary, {});
    assert.is(out.error?.code, code);
    assert.is(out.error?.rawMessage, "boom");
    assert.is(out.headers.get("x-h"), "1");
    assert.is(out.trailers.get("x-t"), "2");
    assert.is(out.error?.metadata.get("x-t"), "2");
    const { client: c2 } = against(() =>
      reply(
        500,
        { "content-type": "application/json" },
        JSON.stringify({ code: codeToString(code) }),
      ),
    );
    assert.is((await c2.callUnary(M.unary, {})).error?.code, code);
  }
});

test("error JSON is read leniently", async () => {
  const cases: [number, string, Code, string, number][] = [
    [503, '{"code":"not_found","message":"m","extra":{"x":1}}', Code.NotFound, "m", 0],
    [503, '{"code":"bogus","message":"m"}', Code.Unavailable, "m", 0],
    [429, '{"message":"no code"}', Code.Unavailable, "no code", 0],
    [401, "not json at all", Code.Unauthenticated, "HTTP 401", 0],
    [500, "", Code.Unknown, "HTTP 500", 0],
    [401, '{"code":null,"message":"oops"}', Code.Unauthenticated, "oops", 0],
    [500, "null", Code.Unknown, "HTTP 500", 0],
    [500, "[1,2]", Code.Unknown, "HTTP 500", 0],
    [
      400,
      '{"code":"aborted","details":[{"type":"a.B","value":"CgIIPA","debug":{"x":1},"more":true},{"value":"AA"},{"type":"c.D","value":"!!"},{"type":"e.F","value":"CgIIPA=="},{"type":"type.googleapis.com/g.H","value":""}]}',
      Code.Aborted,
      "",
      3,
    ],
  ];
  for (const [status, body, code, message, details] of cases) {
    const { client } = against(() => reply(status, { "content-type": "application/json" }, body));
    const err = (await client.callUnary(M.unary, {})).error!;
    assert.instance(err, ConnectError);
    assert.is(err.code, code, body);
    assert.is(err.rawMessage, message, body);
    assert.is(err.details.length, details, body);
  }
  const { client } = against(() =>
    reply(
      400,
      { "content-type": "application/json" },
      '{"code":"aborted","details":[{"type":"a.B","value":"CgIIPA"},{"type":"type.googleapis.com/g.H","value":""}]}',
    ),
  );
  const err = (await client.callUnary(M.unary, {})).error!;
  assert.equal([...err.details[0]!.value], [10, 2, 8, 60]);
  assert.is(err.details[1]!.type, "g.H");
});

test("a 200 response in a foreign content type is unknown, in another Connect codec internal", async () => {
  const { client } = against(() => reply(200, { "content-type": "text/html" }, "<html/>"));
  assert.is((await client.callUnary(M.unary, {})).error?.code, Code.Unknown);
  const { client: jpeg } = against(() =>
    reply(200, { "content-type": "image/jpeg" }, envelopes([2, "{}"])),
  );
  const js = jpeg.callServerStream(M.serverStream, {});
  for await (const _ of js);
  assert.is(js.error?.code, Code.Unknown);
  const { client: codec } = against(() =>
    reply(200, { "content-type": "application/connect+json" }, envelopes([2, "{}"])),
  );
  const cs = codec.callServerStream(M.serverStream, {});
  for await (const _ of cs);
  assert.is(cs.error?.code, Code.Internal);
  const { client: c2 } = against(() => reply(200, { "content-type": "application/json" }, "{}"));
  assert.is((await c2.callUnary(M.unary, {})).error?.code, Code.Internal);
  const { client: c3 } = against(() =>
    reply(200, { "content-type": "application/proto" }, new Uint8Array([0xff])),
  );
  assert.is((await c3.callUnary(M.unary, {})).error?.code, Code.Internal);
});

test("the client sends the Connect headers and reads trailer- headers as trailers", async () => {
  const ok = toBinary(EchoResponseSchema, create(EchoResponseSchema, { text: "r" }));
  const { client, seen } = against(() =>
    reply(200, { "content-type": "application/proto", "trailer-x-cost": "7", "x-plain": "p" }, ok),
  );
  const out = await client.callUnary(
    M.unary,
    { text: "q" },
    { timeoutMs: 1500.2, headers: { "x-custom": ["a", "b"] } },
  );
  assert.is(out.message?.text, "r");
  assert.is(out.trailers.get("x-cost"), "7");
  assert.is(out.headers.get("x-plain"), "p");
  const h = seen[0]!.req.headers;
  assert.is(seen[0]!.req.method, "POST");
  assert.is(seen[0]!.req.path, "/testpb.v1.TestService/Unary");
  assert.is(h.get("content-type"), "application/proto");
  assert.is(h.get("connect-protocol-version"), "1");
  assert.is(h.get("connect-timeout-ms"), "1501");
  assert.equal(h.getAll("x-custom"), ["a", "b"]);
});

test("GET requests for NO_SIDE_EFFECTS methods when enabled, query in the recommended order", async () => {
  const okJson = reply(200, { "content-type": "application/json" }, '{"text":"r"}');
  const { client, seen } = against(() => okJson, { codec: "json", useHttpGet: true });
  await client.unary(M.lookup, { text: "a b&c" });
  assert.is(seen[0]!.req.method, "GET");
  assert.is(
    seen[0]!.req.query,
    `connect=v1&encoding=json&message=${encodeURIComponent('{"text":"a b&c"}')}`,
  );
  assert.is(seen[0]!.req.headers.get("content-type"), undefined);
  assert.is(seen[0]!.body.length, 0);
  // Methods with side effects stay POST.
  const { client: c2, seen: s2 } = against(() => okJson, { codec: "json", useHttpGet: true });
  await c2.unary(M.unary, { text: "x" });
  assert.is(s2[0]!.req.method, "POST");
  const okProto = reply(200, { "content-type": "application/proto" }, new Uint8Array(0));
  const { client: c3, seen: s3 } = against(() => okProto, { useHttpGet: true });
  await c3.unary(M.lookup, { text: "hi" });
  assert.is(s3[0]!.req.query, "connect=v1&encoding=proto&message=CgJoaQ&base64=1");
});

test("GET round-trips through the router in both codecs", async () => {
  const router = createRouter([testService]);
  for (const codec of ["json", "proto"] as const) {
    const methods: string[] = [];
    const transport = createMemoryTransport(async (req) => {
      methods.push(req.method);
      return router.handle(req);
    });
    const client = new RpcClient(transport, { codec, useHttpGet: true });
    for (const text of ["plain", "ünïcödé ✓", "a+b=c&d?e#f%g", ""]) {
      const res = await client.unary(M.lookup, { text });
      assert.is(res.text, `found ${text}`);
    }
    assert.ok(methods.every((m) => m === "GET"));
  }
});

test("streams: missing end-stream, bad end-stream, data after it, compressed without encoding", async () => {
  const ok = toBinary(EchoResponseSchema, create(EchoResponseSchema, { text: "r" }));
  const cases: [string, Uint8Array, Code][] = [
    ["missing end-stream", envelopes([0, ok]), Code.Internal],
    ["end-stream not JSON", envelopes([0, ok], [2, "{nope"]), Code.Internal],
    ["end-stream array", envelopes([2, "[]"]), Code.Internal],
    ["end-stream bad metadata", envelopes([2, '{"metadata":{"a":"b"}}']), Code.Internal],
    ["end-stream error without code", envelopes([2, '{"error":{"message":"m"}}']), Code.Unknown],
    ["end-stream error not an object", envelopes([2, '{"error":"bad"}']), Code.Internal],
    ["data after end-stream", envelopes([2, "{}"], [0, ok]), Code.Internal],
    ["compressed flag, no encoding", envelopes([1, ok], [2, "{}"]), Code.Internal],
    ["truncated", envelopes([0, ok]).subarray(0, 6), Code.Internal],
    ["bad message", envelopes([0, new Uint8Array([0xff])], [2, "{}"]), Code.Internal],
    [
      "error in end-stream",
      envelopes([0, ok], [2, '{"error":{"code":"aborted","message":"x"},"metadata":{"k":["v"]}}']),
      Code.Aborted,
    ],
  ];
  for (const [name, body, code] of cases) {
    const { client } = against(() =>
      reply(200, { "content-type": "application/connect+proto" }, body),
    );
    const s = client.callServerStream(M.serverStream, {});
    for await (const _ of s);
    assert.is(s.error?.code, code, name);
    const b = client.callBidiStream(M.bidi, []);
    for await (const _ of b);
    assert.is(b.error?.code, code, name);
  }
  const { client } = against(() =>
    reply(
      200,
      { "content-type": "application/connect+proto" },
      envelopes([2, '{"error":{"code":"aborted"},"metadata":{"k":["v"]}}']),
    ),
  );
  const s = client.callServerStream(M.serverStream, {});
  for await (const _ of s);
  assert.is(s.trailers.get("k"), "v");
  assert.is(s.error?.metadata.get("k"), "v");
  const { client: wrong } = against(() =>
    reply(200, { "content-type": "application/proto" }, envelopes([2, "{}"])),
  );
  const w = wrong.callServerStream(M.serverStream, {});
  for await (const _ of w);
  assert.is(w.error?.code, Code.Unknown);
  // "error": null is no error.
  const { client: nul } = against(() =>
    reply(200, { "content-type": "application/connect+proto" }, envelopes([2, '{"error":null}'])),
  );
  const n = nul.callServerStream(M.serverStream, {});
  for await (const _ of n);
  assert.is(n.error, undefined);
});

test("client-streaming responses must carry exactly one message", async () => {
  const ok = toBinary(EchoResponseSchema, create(EchoResponseSchema, { text: "r" }));
  const { client: none } = against(() =>
    reply(200, { "content-type": "application/connect+proto" }, envelopes([2, "{}"])),
  );
  assert.is((await none.callClientStream(M.clientStream, [])).error?.code, Code.Unimplemented);
  const { client: two } = against(() =>
    reply(
      200,
      { "content-type": "application/connect+proto" },
      envelopes([0, ok], [0, ok], [2, "{}"]),
    ),
  );
  assert.is((await two.callClientStream(M.clientStream, [])).error?.code, Code.Unimplemented);
});

test("client read and write limits", async () => {
  const big = toBinary(EchoResponseSchema, create(EchoResponseSchema, { text: "x".repeat(100) }));
  const { client } = against(() => reply(200, { "content-type": "application/proto" }, big), {
    readMaxBytes: 50,
  });
  assert.is((await client.callUnary(M.unary, {})).error?.code, Code.ResourceExhausted);
  const { client: sc } = against(
    () =>
      reply(200, { "content-type": "application/connect+proto" }, envelopes([0, big], [2, "{}"])),
    { readMaxBytes: 50 },
  );
  const s = sc.callServerStream(M.serverStream, {});
  for await (const _ of s);
  assert.is(s.error?.code, Code.ResourceExhausted);
  const { client: wc, seen } = against(() => reply(200, {}, ""), { writeMaxBytes: 10 });
  assert.is(
    (await wc.callUnary(M.unary, { text: "more than ten bytes" })).error?.code,
    Code.ResourceExhausted,
  );
  assert.is(seen.length, 0);
});

test("a transport failure reaches the caller as a ConnectError with the cause kept", async () => {
  const cause = new Error("socket hang up");
  const client = new RpcClient({
    baseUrl: "http://x",
    httpVersion: "1.1",
    fullDuplex: false,
    request: () => Promise.reject(cause),
    close: async () => {},
  });
  try {
    await client.unary(M.unary, {});
    assert.unreachable();
  } catch (e) {
    assert.instance(e, ConnectError);
    assert.is((e as ConnectError).cause, cause);
  }
  const s = client.callServerStream(M.serverStream, {});
  for await (const _ of s);
  assert.is(s.error?.cause, cause);
});

test("envelope encoding of a client request", async () => {
  const { client, seen } = against(
    () => reply(200, { "content-type": "application/connect+json" }, envelopes([2, "{}"])),
    { codec: "json" },
  );
  for await (const _ of client.bidiStream(M.bidi, [{ text: "a" }, { text: "b" }]));
  const expected = [...envelopes([0, '{"text":"a"}'], [0, '{"text":"b"}'])];
  assert.equal([...seen[0]!.body], expected);
  assert.is(seen[0]!.req.headers.get("content-type"), "application/connect+json");
  assert.equal([...encodeEnvelope(0, enc.encode("{}"))], [0, 0, 0, 0, 2, 123, 125]);
});

test.run();
