import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseTrailerBlock } from "../src/grpc-web/trailer-frame.js";
import { decodeRpcStatus } from "../src/grpc/status-details.js";
import {
  Code,
  createMemoryTransport,
  createRouter,
  Metadata,
  type Protocol,
  RpcClient,
  type ServerRequest,
  type ServerResponse,
} from "../src/index.js";
import {
  EchoRequestSchema,
  EchoResponseSchema,
  RetryInfoSchema,
  TestService,
} from "./gen/testpb/v1/test_pb.js";
import { envelopes, frames, rawRequest, readResponse } from "./support/raw.js";
import { testGzip } from "./support/test-gzip.js";
import { testService } from "./support/test-service.js";

const M = TestService.method;
const P = "/testpb.v1.TestService";
const router = createRouter([testService], { compression: [testGzip] });
const proto = (init: Parameters<typeof create<typeof EchoRequestSchema>>[1]) =>
  toBinary(EchoRequestSchema, create(EchoRequestSchema, init));
const reply = (init: Parameters<typeof create<typeof EchoResponseSchema>>[1]) =>
  toBinary(EchoResponseSchema, create(EchoResponseSchema, init));

/** Sends a raw request to the router; returns the response with its HTTP trailers. */
async function post(
  path: string,
  headers: Record<string, string>,
  body?: Uint8Array | string,
  r = router,
) {
  const res = await r.handle(rawRequest({ path, headers, body }));
  const read = await readResponse(res);
  // A Trailers-Only answer (no body, the status in the headers) reads as a
  // gRPC client reads it: its headers are its trailers.
  const trailersOnly = res.trailers === undefined && res.headers.has("grpc-status");
  return { ...read, trailers: res.trailers ?? (trailersOnly ? res.headers : new Metadata()) };
}

/** The status of a gRPC-Web response: the trailer frame, parsed. */
function webTrailers(body: Uint8Array): Metadata {
  const last = frames(body).at(-1)!;
  assert.is(last.flags, 0x80);
  return parseTrailerBlock(last.data);
}

test("gRPC handler: unary answers 200, one message, status and trailers in HTTP trailers", async () => {
  const res = await post(
    `${P}/Unary`,
    { "content-type": "application/grpc", te: "trailers", "x-in": "v" },
    envelopes([0, proto({ text: "hi" })]),
  );
  assert.is(res.status, 200);
  assert.is(res.headers.get("content-type"), "application/grpc");
  assert.is(res.headers.get("grpc-accept-encoding"), "gzip");
  assert.is(res.headers.get("x-echo"), "v");
  const [f] = frames(res.body);
  assert.is(f?.flags, 0);
  assert.is(fromBinary(EchoResponseSchema, f!.data).text, "hi");
  assert.is(res.trailers.get("grpc-status"), "0");
  assert.is(res.trailers.get("x-trailer"), "done");
  assert.is(res.headers.get("grpc-status"), undefined);
  const json = await post(
    `${P}/Unary`,
    { "content-type": "application/grpc+json" },
    envelopes([0, '{"text":"j"}']),
  );
  assert.is(json.headers.get("content-type"), "application/grpc+json");
  assert.is(frames(json.body)[0]?.text, '{"text":"j"}');
  const plus = await post(
    `${P}/Unary`,
    { "content-type": "application/grpc+proto" },
    envelopes([0, proto({ text: "p" })]),
  );
  assert.is(plus.headers.get("content-type"), "application/grpc+proto");
});

test("gRPC-Web handler: messages, then trailers in a last frame flagged 0x80", async () => {
  const res = await post(
    `${P}/ServerStream`,
    { "content-type": "application/grpc-web+proto", "x-in": "w" },
    envelopes([0, proto({ text: "s", count: 2 })]),
  );
  assert.is(res.status, 200);
  assert.is(res.headers.get("content-type"), "application/grpc-web+proto");
  assert.is(res.trailers.size, 0);
  const fs = frames(res.body);
  assert.equal(
    fs.map((f) => f.flags),
    [0, 0, 0x80],
  );
  const t = webTrailers(res.body);
  assert.is(t.get("grpc-status"), "0");
  assert.is(t.get("x-trailer"), "done");
  assert.match(fs[2]!.text, /^grpc-status: 0\r\n/m);
});

test("errors: status, percent-encoded message, details and metadata in the trailers", async () => {
  for (const web of [false, true]) {
    const res = await post(
      `${P}/Unary`,
      { "content-type": web ? "application/grpc-web" : "application/grpc", "x-in": "h" },
      envelopes([0, proto({ text: "nö 100%", failCode: Code.NotFound })]),
    );
    assert.is(res.status, 200);
    // Headers the implementation set before failing still go out as headers.
    assert.is(res.headers.get("x-echo"), "h");
    // With headers of the implementation's own, the status stays apart from them.
    assert.is(res.headers.get("grpc-status"), undefined);
    const t = web ? webTrailers(res.body) : res.trailers;
    assert.is(t.get("grpc-status"), "5");
    assert.is(t.get("grpc-message"), "n%C3%B6 100%25");
    assert.is(t.get("x-error-meta"), "yes");
    assert.is(t.get("x-trailer"), "done");
    const status = decodeRpcStatus(t.getBinary("grpc-status-details-bin")!);
    assert.is(status.code, 5);
    assert.is(status.message, "nö 100%");
    assert.is(status.details[0]?.type, "testpb.v1.RetryInfo");
    assert.is(fromBinary(RetryInfoSchema, status.details[0]!.value).retryAfterMs, 42);
    if (!web) assert.is(res.body.length, 0);
  }
});

test("errors with no headers of the implementation's are Trailers-Only over gRPC", async () => {
  const failing = createRouter([testService]);
  const res = await failing.handle(
    rawRequest({
      path: `${P}/Unary`,
      headers: { "content-type": "application/grpc" },
      body: envelopes([0, proto({ text: "gone", failCode: Code.NotFound })]),
    }),
  );
  // One HEADERS frame ends the stream: no body, no separate trailers.
  assert.is(res.status, 200);
  assert.is(res.body, undefined);
  assert.is(res.trailers, undefined);
  assert.is(res.headers.get("content-type"), "application/grpc");
  assert.is(res.headers.get("grpc-status"), "5");
  assert.is(res.headers.get("grpc-message"), "gone");
  // gRPC-Web has no such form: its status is always the last frame.
  const web = await post(
    `${P}/Unary`,
    { "content-type": "application/grpc-web" },
    envelopes([0, proto({ text: "gone", failCode: Code.NotFound })]),
  );
  assert.is(web.headers.get("grpc-status"), undefined);
  assert.is(webTrailers(web.body).get("grpc-status"), "5");
});

test("bad requests: each answered with the status the spec asks for", async () => {
  const big = proto({ text: "x".repeat(5000) });
  const cases: [string, Record<string, string>, Uint8Array, Code][] = [
    [
      "truncated frame",
      {},
      envelopes([0, proto({ text: "hi" })]).subarray(0, 7),
      Code.InvalidArgument,
    ],
    ["truncated header", {}, new Uint8Array([0, 0, 0]), Code.InvalidArgument],
    ["no request message", {}, new Uint8Array(0), Code.Unimplemented],
    ["two request messages", {}, envelopes([0, proto({})], [0, proto({})]), Code.Unimplemented],
    ["bad protobuf", {}, envelopes([0, new Uint8Array([0xff, 0xff])]), Code.InvalidArgument],
    ["unknown flags", {}, envelopes([0x80, proto({})]), Code.Internal],
    ["compressed without grpc-encoding", {}, envelopes([1, proto({})]), Code.Internal],
    [
      "unknown grpc-encoding",
      { "grpc-encoding": "snappy" },
      envelopes([1, proto({})]),
      Code.Unimplemented,
    ],
    [
      "bad grpc-timeout",
      { "grpc-timeout": "1 hour" },
      envelopes([0, proto({})]),
      Code.InvalidArgument,
    ],
    [
      "corrupt gzip",
      { "grpc-encoding": "gzip" },
      envelopes([1, new Uint8Array([1, 2, 3])]),
      Code.InvalidArgument,
    ],
  ];
  const limited = createRouter([testService], { readMaxBytes: 1000 });
  for (const web of [false, true]) {
    const type = web ? "application/grpc-web+proto" : "application/grpc+proto";
    for (const [name, headers, body, code] of cases) {
      const res = await post(`${P}/Unary`, { "content-type": type, ...headers }, body);
      assert.is(res.status, 200, name);
      const t = web ? webTrailers(res.body) : res.trailers;
      assert.is(t.get("grpc-status"), String(code), `${name} (web: ${web})`);
      if (name === "unknown grpc-encoding")
        assert.is(res.headers.get("grpc-accept-encoding"), "gzip");
    }
    const over = await post(`${P}/Unary`, { "content-type": type }, envelopes([0, big]), limited);
    const t = web ? webTrailers(over.body) : over.trailers;
    assert.is(t.get("grpc-status"), String(Code.ResourceExhausted), "oversized");
  }
});

test("routing: content types and verbs that are not gRPC are refused by HTTP status", async () => {
  for (const type of [
    "application/grpc+thrift",
    "application/grpc-web-text",
    "application/grpc-web-text+proto",
    "text/plain",
  ]) {
    const res = await post(`${P}/Unary`, { "content-type": type }, envelopes([0, proto({})]));
    assert.is(res.status, 415, type);
  }
  const get = await readResponse(
    await router.handle(
      rawRequest({
        method: "PUT",
        path: `${P}/Unary`,
        headers: { "content-type": "application/grpc" },
      }),
    ),
  );
  assert.is(get.status, 405);
  const missing = await post("/testpb.v1.TestService/Nope", { "content-type": "application/grpc" });
  assert.is(missing.status, 404);
  // A router limited to Connect does not answer gRPC.
  const connectOnly = createRouter([testService], { protocols: ["connect"] });
  const res = await post(
    `${P}/Unary`,
    { "content-type": "application/grpc" },
    envelopes([0, proto({})]),
    connectOnly,
  );
  assert.is(res.status, 415);
});

test("the server reads compressed requests and compresses responses the client accepts", async () => {
  const text = "c".repeat(3000);
  const compressed = await testGzip.compress(proto({ text }));
  const res = await post(
    `${P}/Unary`,
    {
      "content-type": "application/grpc",
      "grpc-encoding": "gzip",
      "grpc-accept-encoding": "br, gzip",
    },
    envelopes([1, compressed]),
  );
  assert.is(res.trailers.get("grpc-status"), "0");
  assert.is(res.headers.get("grpc-encoding"), "gzip");
  const [f] = frames(res.body);
  assert.is(f?.flags, 1);
  const plain = await testGzip.decompress(f!.data, 1 << 20);
  assert.is(fromBinary(EchoResponseSchema, plain).text, text);
  // Small messages go uncompressed even when an encoding was negotiated.
  const small = await post(
    `${P}/Unary`,
    { "content-type": "application/grpc", "grpc-accept-encoding": "gzip" },
    envelopes([0, proto({ text: "s" })]),
  );
  assert.is(frames(small.body)[0]?.flags, 0);
});

/** A client against a handler that answers with fixed parts, recording what it was sent. */
function against(
  protocol: Protocol,
  answer: (req: ServerRequest) => ServerResponse,
  options: Omit<ConstructorParameters<typeof RpcClient>[1] & object, "protocol"> = {},
) {
  const seen: ServerRequest[] = [];
  const transport = createMemoryTransport(async (req) => {
    await req.body.readAll(1 << 20);
    seen.push(req);
    return answer(req);
  });
  return { client: new RpcClient(transport, { ...options, protocol }), seen };
}

function res(
  status: number,
  headers: Record<string, string>,
  body?: Uint8Array,
  trailers?: Record<string, string>,
): ServerResponse {
  return {
    status,
    headers: new Metadata(headers),
    body,
    trailers: trailers === undefined ? undefined : new Metadata(trailers),
  };
}

const grpcType = { "content-type": "application/grpc" };
const ok = envelopes([0, reply({ text: "r" })]);

test("gRPC client: the request headers", async () => {
  const { client, seen } = against("grpc", () => res(200, grpcType, ok, { "grpc-status": "0" }), {
    compression: { send: testGzip },
  });
  await client.unary(M.unary, { text: "q" }, { timeoutMs: 1500, headers: { "x-a": ["1", "2"] } });
  const h = seen[0]!.headers;
  assert.is(h.get("content-type"), "application/grpc");
  assert.is(h.get("te"), "trailers");
  assert.is(h.get("grpc-timeout"), "1500m");
  assert.is(h.get("grpc-encoding"), "gzip");
  assert.is(h.get("grpc-accept-encoding"), "gzip");
  assert.match(h.get("user-agent")!, /^grpc-/);
  assert.equal(h.getAll("x-a"), ["1", "2"]);
  assert.is(h.get("connect-protocol-version"), undefined);
  const web = against(
    "grpc-web",
    () =>
      res(
        200,
        { "content-type": "application/grpc-web+json" },
        envelopes([0, "{}"], [0x80, "grpc-status: 0\r\n"]),
      ),
    { codec: "json" },
  );
  await web.client.unary(M.unary, {});
  const w = web.seen[0]!.headers;
  assert.is(w.get("content-type"), "application/grpc-web+json");
  assert.is(w.get("x-grpc-web"), "1");
  assert.is(w.get("te"), undefined);
});

test("gRPC client: HTTP statuses other than 200 map by gRPC's table", async () => {
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
    [415, Code.Unknown],
  ];
  for (const protocol of ["grpc", "grpc-web"] as Protocol[]) {
    for (const [status, code] of table) {
      const { client } = against(protocol, () =>
        res(status, { "content-type": "text/html" }, new TextEncoder().encode("<html/>")),
      );
      assert.is((await client.callUnary(M.unary, {})).error?.code, code, `${protocol} ${status}`);
      const s = client.callServerStream(M.serverStream, {});
      for await (const _ of s);
      assert.is(s.error?.code, code, `${protocol} stream ${status}`);
    }
  }
});

test("gRPC client: malformed responses are errors with the right codes", async () => {
  const cases: [string, ServerResponse, Code][] = [
    ["missing grpc-status", res(200, grpcType, ok, {}), Code.Internal],
    ["no trailers at all", res(200, grpcType, ok), Code.Internal],
    [
      "foreign content type",
      res(200, { "content-type": "text/html" }, ok, { "grpc-status": "0" }),
      Code.Unknown,
    ],
    [
      "other codec",
      res(200, { "content-type": "application/grpc+json" }, ok, { "grpc-status": "0" }),
      Code.Internal,
    ],
    ["no content type", res(200, {}, ok, { "grpc-status": "0" }), Code.Unknown],
    [
      "truncated frame",
      res(200, grpcType, ok.subarray(0, ok.length - 1), { "grpc-status": "0" }),
      Code.Internal,
    ],
    [
      "bad protobuf",
      res(200, grpcType, envelopes([0, new Uint8Array([0xff])]), { "grpc-status": "0" }),
      Code.Internal,
    ],
    [
      "two messages",
      res(200, grpcType, envelopes([0, reply({})], [0, reply({})]), { "grpc-status": "0" }),
      Code.Unimplemented,
    ],
    [
      "no message",
      res(200, grpcType, new Uint8Array(0), { "grpc-status": "0" }),
      Code.Unimplemented,
    ],
    [
      "unknown encoding",
      res(200, { ...grpcType, "grpc-encoding": "snappy" }, ok, { "grpc-status": "0" }),
      Code.Internal,
    ],
    [
      "compressed without encoding",
      res(200, grpcType, envelopes([1, reply({})]), { "grpc-status": "0" }),
      Code.Internal,
    ],
    [
      "trailer flag in gRPC",
      res(200, grpcType, envelopes([0x80, "grpc-status: 0\r\n"]), { "grpc-status": "0" }),
      Code.Internal,
    ],
    ["status not a number", res(200, grpcType, ok, { "grpc-status": "ok" }), Code.Internal],
    ["unknown status number", res(200, grpcType, ok, { "grpc-status": "42" }), Code.Unknown],
  ];
  for (const [name, response, code] of cases) {
    const { client } = against("grpc", () => response);
    const out = await client.callUnary(M.unary, {});
    assert.is(out.error?.code, code, name);
  }
  const big = envelopes([0, reply({ text: "x".repeat(2000) })]);
  const { client } = against("grpc", () => res(200, grpcType, big, { "grpc-status": "0" }), {
    readMaxBytes: 100,
  });
  assert.is((await client.callUnary(M.unary, {})).error?.code, Code.ResourceExhausted);
});

test("gRPC-Web client: the trailer frame carries the status; malformed ones are errors", async () => {
  const webType = { "content-type": "application/grpc-web+proto" };
  const good = envelopes([0, reply({ text: "w" })], [0x80, "grpc-status: 0\r\nx-t: 1\r\n"]);
  const { client } = against("grpc-web", () => res(200, webType, good));
  const out = await client.callUnary(M.unary, {});
  assert.is(out.message?.text, "w");
  assert.is(out.trailers.get("x-t"), "1");
  assert.is(out.trailers.get("grpc-status"), undefined);
  const compressedTrailers = envelopes(
    [0, reply({ text: "z" })],
    [0x81, await testGzip.compress(new TextEncoder().encode("grpc-status: 0\r\n"))],
  );
  const gz = against(
    "grpc-web",
    () => res(200, { ...webType, "grpc-encoding": "gzip" }, compressedTrailers),
    {
      compression: { accept: [testGzip] },
    },
  );
  assert.is((await gz.client.unary(M.unary, {})).text, "z");
  const cases: [string, Uint8Array, Code][] = [
    ["no trailer frame", envelopes([0, reply({})]), Code.Internal],
    ["data after trailers", envelopes([0x80, "grpc-status: 0\r\n"], [0, reply({})]), Code.Internal],
    ["junk trailers", envelopes([0, reply({})], [0x80, "what is this"]), Code.Internal],
    [
      "error status",
      envelopes([0x80, "grpc-status: 7\r\ngrpc-message: no%20way\r\n"]),
      Code.PermissionDenied,
    ],
    [
      "truncated trailer frame",
      envelopes([0x80, "grpc-status: 0\r\n"]).subarray(0, 8),
      Code.Internal,
    ],
  ];
  for (const [name, body, code] of cases) {
    const c = against("grpc-web", () => res(200, webType, body));
    const o = await c.client.callUnary(M.unary, {});
    assert.is(o.error?.code, code, name);
    if (name === "error status") assert.is(o.error?.rawMessage, "no way");
  }
});

test("trailers-only responses: the status in the headers, the rest as trailing metadata", async () => {
  for (const protocol of ["grpc", "grpc-web"] as Protocol[]) {
    const type = protocol === "grpc" ? "application/grpc" : "application/grpc-web+proto";
    const { client } = against(protocol, () =>
      res(200, {
        "content-type": type,
        "grpc-status": "7",
        "grpc-message": "denied%21",
        "x-custom": "c",
      }),
    );
    const out = await client.callUnary(M.unary, {});
    assert.is(out.error?.code, Code.PermissionDenied, protocol);
    assert.is(out.error?.rawMessage, "denied!");
    assert.is(out.error?.metadata.get("x-custom"), "c");
    assert.is(out.trailers.get("x-custom"), "c");
    assert.is(out.trailers.get("grpc-status"), undefined);
    const s = client.callServerStream(M.serverStream, {});
    for await (const _ of s);
    assert.is(s.error?.code, Code.PermissionDenied);
    // Success with no messages is a valid empty stream, and a broken unary call.
    const empty = against(protocol, () =>
      res(200, { "content-type": type, "grpc-status": "0", "x-t": "t" }),
    );
    const es = empty.client.callServerStream(M.serverStream, {});
    let n = 0;
    for await (const _ of es) n++;
    assert.is(n, 0);
    assert.is(es.error, undefined);
    assert.is(es.trailers.get("x-t"), "t");
    assert.is((await empty.client.callUnary(M.unary, {})).error?.code, Code.Unimplemented);
  }
});

test("a status in the headers is ignored when a body or trailers follow", async () => {
  const header = { "content-type": "application/grpc", "grpc-status": "8", "x-h": "h" };
  const { client } = against("grpc", () => res(200, header, undefined, { "grpc-status": "9" }));
  assert.is((await client.callUnary(M.unary, {})).error?.code, Code.FailedPrecondition);
  // A body without trailers: the status is missing, whatever the headers said.
  const body = against("grpc", () => res(200, header, ok));
  assert.is((await body.client.callUnary(M.unary, {})).error?.code, Code.Internal);
  const good = against("grpc", () => res(200, header, ok, { "grpc-status": "0" }));
  const out = await good.client.callUnary(M.unary, {});
  assert.is(out.message?.text, "r");
  assert.is(out.headers.get("x-h"), "h");
  assert.is(out.headers.get("grpc-status"), undefined);
  const web = against("grpc-web", () =>
    res(
      200,
      { "content-type": "application/grpc-web+proto", "grpc-status": "8" },
      envelopes([0x80, "grpc-status: 9\r\n"]),
    ),
  );
  assert.is((await web.client.callUnary(M.unary, {})).error?.code, Code.FailedPrecondition);
});

test("a cancelled stream stops at once, even with later messages already received", async () => {
  const body = envelopes(
    [0, reply({ text: "1" })],
    [0, reply({ text: "2" })],
    [0x80, "grpc-status: 0\r\n"],
  );
  const { client } = against("grpc-web", () =>
    res(200, { "content-type": "application/grpc-web+proto" }, body),
  );
  const ac = new AbortController();
  const s = client.callServerStream(M.serverStream, {}, { signal: ac.signal });
  const got: string[] = [];
  for await (const r of s) {
    got.push(r.text);
    ac.abort();
  }
  assert.equal(got, ["1"]);
  assert.is(s.error?.code, Code.Canceled);
});

test("binary -bin metadata travels base64-encoded both ways, in headers and trailers", async () => {
  const blob = new Uint8Array([0, 1, 2, 250, 255]);
  const echoBin = createRouter([testService], {
    interceptors: [
      (next) => async (req) => {
        const res = await next(req);
        const value = req.header.getBinary("x-blob-bin")!;
        res.header.appendBinary("x-blob-bin", value);
        res.trailer.appendBinary("x-tail-bin", value);
        return res;
      },
    ],
  });
  for (const protocol of ["grpc", "grpc-web"] as Protocol[]) {
    const client = new RpcClient(createMemoryTransport(echoBin), { protocol });
    const header = new Metadata().appendBinary("x-blob-bin", blob);
    const out = await client.callUnary(M.unary, { text: "b" }, { headers: header });
    assert.is(out.error, undefined);
    assert.equal([...out.headers.getBinary("x-blob-bin")!], [...blob], protocol);
    assert.equal([...out.trailers.getBinary("x-tail-bin")!], [...blob], protocol);
  }
});

test.run();
