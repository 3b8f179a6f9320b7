import { createRegistry, toBinary, create } from "@bufbuild/protobuf";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  type Code,
  codeToHttpStatus,
  codeToString,
  createRouter,
  registerService,
} from "../src/index.js";
import { EchoRequestSchema, RetryInfoSchema, TestService } from "./gen/testpb/v1/test_pb.js";
import { envelopes, frames, rawRequest, readResponse } from "./support/raw.js";
import { testService } from "./support/test-service.js";

const router = createRouter([testService]);
const P = "/testpb.v1.TestService";
const json = (v: unknown) => JSON.stringify(v);
const proto = (init: Parameters<typeof create<typeof EchoRequestSchema>>[1]) =>
  toBinary(EchoRequestSchema, create(EchoRequestSchema, init));

async function post(
  path: string,
  headers: Record<string, string>,
  body?: Uint8Array | string,
  r = router,
) {
  return readResponse(await r.handle(rawRequest({ path, headers, body })));
}

test("unknown path is 404", async () => {
  const res = await post(
    "/testpb.v1.TestService/Nope",
    { "content-type": "application/json" },
    "{}",
  );
  assert.is(res.status, 404);
  assert.is((await post("/", {}, "")).status, 404);
});

test("wrong verbs are 405 with Allow", async () => {
  const put = await readResponse(
    await router.handle(
      rawRequest({
        method: "PUT",
        path: `${P}/Unary`,
        headers: { "content-type": "application/json" },
      }),
    ),
  );
  assert.is(put.status, 405);
  assert.is(put.headers.get("allow"), "POST");
  const get = await readResponse(
    await router.handle(
      rawRequest({ method: "GET", path: `${P}/Unary`, query: "encoding=json&message={}" }),
    ),
  );
  assert.is(get.status, 405);
  const del = await readResponse(
    await router.handle(rawRequest({ method: "DELETE", path: `${P}/Lookup` })),
  );
  assert.is(del.status, 405);
  assert.is(del.headers.get("allow"), "GET, POST");
});

test("unknown or mismatched content types are 415", async () => {
  for (const [path, type] of [
    [`${P}/Unary`, "text/plain"],
    [`${P}/Unary`, "application/xml"],
    [`${P}/Unary`, "application/connect+proto"],
    [`${P}/ServerStream`, "application/proto"],
    [`${P}/Bidi`, "application/json"],
    [`${P}/Unary`, "application/json; charset=latin1"],
  ] as const) {
    const res = await post(path, { "content-type": type }, "{}");
    assert.is(res.status, 415, `${path} ${type}`);
  }
  const none = await post(`${P}/Unary`, {}, "{}");
  assert.is(none.status, 415);
});

test("unary JSON and proto succeed with the matching content type; charset is accepted", async () => {
  const j = await post(
    `${P}/Unary`,
    { "content-type": "application/json; charset=utf-8" },
    json({ text: "hey" }),
  );
  assert.is(j.status, 200);
  assert.is(j.headers.get("content-type"), "application/json");
  assert.equal(j.json, { text: "hey" });
  assert.is(j.headers.get("trailer-x-trailer"), "done");
  const p = await post(
    `${P}/Unary`,
    { "content-type": "application/proto" },
    proto({ text: "bin" }),
  );
  assert.is(p.status, 200);
  assert.is(p.headers.get("content-type"), "application/proto");
});

test("bad bodies are invalid_argument with an error JSON", async () => {
  for (const body of ["{", "[]", '{"text": 5}', '{"count": "x"}', "\xff\xfe"]) {
    const res = await post(`${P}/Unary`, { "content-type": "application/json" }, body);
    assert.is(res.status, 400, body);
    assert.is(res.headers.get("content-type"), "application/json");
    assert.is((res.json as { code: string }).code, "invalid_argument");
  }
  const badUtf8 = await post(
    `${P}/Unary`,
    { "content-type": "application/json" },
    new Uint8Array([0x7b, 0xff, 0x7d]),
  );
  assert.is((badUtf8.json as { code: string }).code, "invalid_argument");
  const badProto = await post(
    `${P}/Unary`,
    { "content-type": "application/proto" },
    new Uint8Array([0x0a, 0x05, 0x61]),
  );
  assert.is(badProto.status, 400);
  assert.is((badProto.json as { code: string }).code, "invalid_argument");
});

test("unknown JSON fields are ignored", async () => {
  const res = await post(
    `${P}/Unary`,
    { "content-type": "application/json" },
    json({ text: "a", someday: 1 }),
  );
  assert.is(res.status, 200);
});

test("bad Connect-Timeout-Ms values are invalid_argument; 10 digits are fine", async () => {
  for (const t of ["abc", "12345678901", "-1", "", "1.5", " 5", "0x10", "１"]) {
    const res = await post(
      `${P}/Unary`,
      { "content-type": "application/json", "connect-timeout-ms": t },
      "{}",
    );
    assert.is(res.status, 400, `timeout ${JSON.stringify(t)}`);
    assert.is((res.json as { code: string }).code, "invalid_argument");
    const s = await post(
      `${P}/ServerStream`,
      { "content-type": "application/connect+json", "connect-timeout-ms": t },
      envelopes([0, "{}"]),
    );
    assert.is(s.status, 200);
    const end = frames(s.body).at(-1)!;
    assert.is(end.flags, 2);
    assert.is((JSON.parse(end.text) as { error: { code: string } }).error.code, "invalid_argument");
  }
  const ok = await post(
    `${P}/Unary`,
    { "content-type": "application/json", "connect-timeout-ms": "9999999999" },
    json({ delayMs: 30 }),
  );
  // Longer than a timer can wait: the call must not time out at once.
  assert.is(ok.status, 200);
});

test("a timeout that passes on the server ends the call with deadline_exceeded", async () => {
  const res = await post(
    `${P}/Unary`,
    { "content-type": "application/json", "connect-timeout-ms": "30" },
    json({ delayMs: 5000 }),
  );
  assert.is(res.status, 504);
  assert.is((res.json as { code: string }).code, "deadline_exceeded");
  const s = await post(
    `${P}/ServerStream`,
    { "content-type": "application/connect+json", "connect-timeout-ms": "50" },
    envelopes([0, json({ count: 100, delayMs: 10 })]),
  );
  const fs = frames(s.body);
  assert.ok(fs.length > 1 && fs.length < 100);
  assert.is(
    (JSON.parse(fs.at(-1)!.text) as { error: { code: string } }).error.code,
    "deadline_exceeded",
  );
});

test("maxTimeoutMs clamps the client's timeout", async () => {
  const r = createRouter([testService], { maxTimeoutMs: 30 });
  const res = await post(
    `${P}/Unary`,
    { "content-type": "application/json", "connect-timeout-ms": "100000" },
    json({ delayMs: 5000 }),
    r,
  );
  assert.is((res.json as { code: string }).code, "deadline_exceeded");
});

test("Connect-Protocol-Version: wrong values rejected, missing ones only when required", async () => {
  const wrong = await post(
    `${P}/Unary`,
    { "content-type": "application/json", "connect-protocol-version": "2" },
    "{}",
  );
  assert.is(wrong.status, 400);
  assert.is((wrong.json as { code: string }).code, "invalid_argument");
  const missing = await post(`${P}/Unary`, { "content-type": "application/json" }, "{}");
  assert.is(missing.status, 200);
  const strict = createRouter([testService], { requireConnectProtocolHeader: true });
  const rejected = await post(`${P}/Unary`, { "content-type": "application/json" }, "{}", strict);
  assert.is(rejected.status, 400);
  const accepted = await post(
    `${P}/Unary`,
    { "content-type": "application/json", "connect-protocol-version": "1" },
    "{}",
    strict,
  );
  assert.is(accepted.status, 200);
  const getMissing = await readResponse(
    await strict.handle(
      rawRequest({ method: "GET", path: `${P}/Lookup`, query: "encoding=json&message=%7B%7D" }),
    ),
  );
  assert.is(getMissing.status, 400);
  const getOk = await readResponse(
    await strict.handle(
      rawRequest({
        method: "GET",
        path: `${P}/Lookup`,
        query: "connect=v1&encoding=json&message=%7B%7D",
      }),
    ),
  );
  assert.is(getOk.status, 200);
});

test("read limit applies before decoding: unary body and stream envelope", async () => {
  const r = createRouter([testService], { readMaxBytes: 16 });
  const big = await post(
    `${P}/Unary`,
    { "content-type": "application/json" },
    json({ text: "x".repeat(100) }),
    r,
  );
  assert.is(big.status, 429);
  assert.is((big.json as { code: string }).code, "resource_exhausted");
  const small = await post(
    `${P}/Unary`,
    { "content-type": "application/json" },
    json({ text: "x" }),
    r,
  );
  assert.is(small.status, 200);
  const s = await post(
    `${P}/ClientStream`,
    { "content-type": "application/connect+json" },
    envelopes([0, json({ text: "x".repeat(100) })]),
    r,
  );
  assert.is(
    (JSON.parse(frames(s.body).at(-1)!.text) as { error: { code: string } }).error.code,
    "resource_exhausted",
  );
  const ss = await post(
    `${P}/ServerStream`,
    { "content-type": "application/connect+json" },
    envelopes([0, json({ text: "x".repeat(100) })]),
    r,
  );
  assert.is(
    (JSON.parse(frames(ss.body).at(-1)!.text) as { error: { code: string } }).error.code,
    "resource_exhausted",
  );
});

test("write limit fails the call with resource_exhausted", async () => {
  const r = createRouter([testService], { writeMaxBytes: 8 });
  const res = await post(
    `${P}/Unary`,
    { "content-type": "application/json" },
    json({ text: "a long enough text" }),
    r,
  );
  assert.is((res.json as { code: string }).code, "resource_exhausted");
});

test("a method without implementation is unimplemented (501)", async () => {
  const res = await post(`${P}/Missing`, { "content-type": "application/json" }, "{}");
  assert.is(res.status, 501);
  assert.is((res.json as { code: string }).code, "unimplemented");
});

test("every code maps to its HTTP status and round-trips in error JSON", async () => {
  const table: Record<string, number> = {
    canceled: 499,
    unknown: 500,
    invalid_argument: 400,
    deadline_exceeded: 504,
    not_found: 404,
    already_exists: 409,
    permission_denied: 403,
    resource_exhausted: 429,
    failed_precondition: 400,
    aborted: 409,
    out_of_range: 400,
    unimplemented: 501,
    internal: 500,
    unavailable: 503,
    data_loss: 500,
    unauthenticated: 401,
  };
  for (let code = 1 as Code; code <= 16; code++) {
    assert.is(codeToHttpStatus(code), table[codeToString(code)]);
    const res = await post(
      `${P}/Unary`,
      { "content-type": "application/json" },
      json({ text: "m", failCode: code }),
    );
    assert.is(res.status, table[codeToString(code)]);
    const body = res.json as {
      code: string;
      message: string;
      details: { type: string; value: string }[];
    };
    assert.is(body.code, codeToString(code));
    assert.is(body.message, "m");
    assert.is(body.details[0]?.type, "testpb.v1.RetryInfo");
    assert.ok(!body.details[0]!.value.includes("="), "unpadded base64");
    assert.is(res.headers.get("x-error-meta"), "yes");
  }
});

test("details carry a debug form when the registry knows their type", async () => {
  const r = createRouter([testService], { registry: createRegistry(RetryInfoSchema) });
  const res = await post(
    `${P}/Unary`,
    { "content-type": "application/json" },
    json({ text: "m", failCode: 5 }),
    r,
  );
  const body = res.json as { details: { debug: unknown }[] };
  assert.equal(body.details[0]?.debug, { retryAfterMs: 42, reason: "m" });
});

test("streaming: messages, then an end-stream with trailers; errors in the end-stream", async () => {
  const ok = await post(
    `${P}/ServerStream`,
    { "content-type": "application/connect+json", "x-in": "h" },
    envelopes([0, json({ text: "a", count: 2 })]),
  );
  assert.is(ok.status, 200);
  assert.is(ok.headers.get("content-type"), "application/connect+json");
  assert.is(ok.headers.get("x-echo"), "h");
  const fs = frames(ok.body);
  assert.equal(
    fs.map((f) => f.flags),
    [0, 0, 2],
  );
  assert.equal(JSON.parse(fs[2]!.text), { metadata: { "x-trailer": ["done"] } });
  const bad = await post(
    `${P}/ServerStream`,
    { "content-type": "application/connect+json" },
    envelopes([0, json({ text: "e", count: 1, failCode: 14 })]),
  );
  const end = JSON.parse(frames(bad.body).at(-1)!.text) as {
    error: { code: string; details: unknown[] };
    metadata: Record<string, string[]>;
  };
  assert.is(bad.status, 200);
  assert.is(end.error.code, "unavailable");
  assert.is(end.error.details.length, 1);
  assert.equal(end.metadata["x-error-meta"], ["yes"]);
  assert.equal(end.metadata["x-trailer"], ["done"]);
});

function endError(body: Uint8Array): string {
  const end = frames(body).at(-1)!;
  assert.is(end.flags & 2, 2);
  return (JSON.parse(end.text) as { error: { code: string } }).error.code;
}

test("streaming requests: truncated, oversized, end-stream flag, compressed without encoding, wrong count", async () => {
  const h = { "content-type": "application/connect+json" };
  const whole = envelopes([0, json({ text: "a" })]);
  assert.is(
    endError((await post(`${P}/ClientStream`, h, whole.subarray(0, whole.length - 2))).body),
    "invalid_argument",
  );
  assert.is(
    endError((await post(`${P}/ClientStream`, h, whole.subarray(0, 3))).body),
    "invalid_argument",
  );
  assert.is(
    endError((await post(`${P}/ServerStream`, h, whole.subarray(0, 7))).body),
    "invalid_argument",
  );
  const huge = new Uint8Array([0, 0x7f, 0xff, 0xff, 0xff]);
  assert.is(endError((await post(`${P}/Bidi`, h, huge)).body), "resource_exhausted");
  assert.is(
    endError((await post(`${P}/ClientStream`, h, envelopes([2, "{}"]))).body),
    "invalid_argument",
  );
  assert.is(endError((await post(`${P}/ClientStream`, h, envelopes([1, "{}"]))).body), "internal");
  // A server-streaming call needs exactly one request; gRPC calls anything else unimplemented.
  assert.is(
    endError((await post(`${P}/ServerStream`, h, envelopes([0, "{}"], [0, "{}"]))).body),
    "unimplemented",
  );
  assert.is(
    endError((await post(`${P}/ServerStream`, h, new Uint8Array(0))).body),
    "unimplemented",
  );
  assert.is(
    endError((await post(`${P}/ClientStream`, h, envelopes([0, "{bad"]))).body),
    "invalid_argument",
  );
  const ok = await post(
    `${P}/ClientStream`,
    h,
    envelopes([0, json({ text: "a" })], [0, json({ text: "b" })]),
  );
  const fs = frames(ok.body);
  assert.equal(JSON.parse(fs[0]!.text), { text: "a,b", index: 2 });
  assert.is(fs[1]!.flags, 2);
});

test("GET: JSON percent-encoded and proto base64, any parameter order, unknown parameters allowed", async () => {
  const q = `encoding=json&message=${encodeURIComponent(json({ text: "g" }))}&connect=v1&extra=1`;
  const j = await readResponse(
    await router.handle(rawRequest({ method: "GET", path: `${P}/Lookup`, query: q })),
  );
  assert.is(j.status, 200);
  assert.equal(j.json, { text: "found g" });
  const bin = proto({ text: "p" });
  const b64 = btoa(String.fromCharCode(...bin))
    .replace(/\+/g, "-")
    .replace(/\//g, "_");
  const p = await readResponse(
    await router.handle(
      rawRequest({
        method: "GET",
        path: `${P}/Lookup`,
        query: `message=${encodeURIComponent(b64)}&base64=1&encoding=proto`,
      }),
    ),
  );
  assert.is(p.status, 200);
  assert.is(p.headers.get("content-type"), "application/proto");
  const badEnc = await readResponse(
    await router.handle(
      rawRequest({ method: "GET", path: `${P}/Lookup`, query: "encoding=xml&message=x" }),
    ),
  );
  assert.is(badEnc.status, 415);
  const badB64 = await readResponse(
    await router.handle(
      rawRequest({
        method: "GET",
        path: `${P}/Lookup`,
        query: "encoding=proto&base64=1&message=%%%",
      }),
    ),
  );
  assert.is(badB64.status, 400);
  const badMsg = await readResponse(
    await router.handle(
      rawRequest({ method: "GET", path: `${P}/Lookup`, query: "encoding=json&message=nope" }),
    ),
  );
  assert.is(badMsg.status, 400);
});

test("a response body dropped before it is read still ends the handler's stream", async () => {
  let closed = false;
  let signal: AbortSignal | undefined;
  const r = createRouter([
    registerService(TestService, {
      async *serverStream(_req, ctx) {
        signal = ctx.signal;
        try {
          for (let i = 0; i < 100; i++) yield { index: i };
        } finally {
          closed = true;
        }
      },
    }),
  ]);
  const res = await r.handle(
    rawRequest({
      path: `${P}/ServerStream`,
      headers: { "content-type": "application/connect+json" },
      body: envelopes([0, "{}"]),
    }),
  );
  const body = res.body as AsyncIterable<Uint8Array>;
  await body[Symbol.asyncIterator]().return?.();
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(closed);
  assert.ok(signal?.aborted);
});

test.run();
