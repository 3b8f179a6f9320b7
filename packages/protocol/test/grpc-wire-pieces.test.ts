import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseTrailerBlock, encodeTrailerBlock } from "../src/grpc-web/trailer-frame.js";
import {
  grpcContentType,
  looksLikeGrpc,
  parseGrpcContentType,
} from "../src/grpc/request-header.js";
import { decodeRpcStatus, encodeRpcStatus } from "../src/grpc/status-details.js";
import { encodeGrpcTimeout, parseGrpcTimeout } from "../src/grpc/timeout.js";
import {
  errorFromStatus,
  percentDecodeMessage,
  percentEncodeMessage,
  setStatusTrailers,
} from "../src/grpc/trailer-status.js";
import { Code, ConnectError, Metadata } from "../src/index.js";
import { RetryInfoSchema } from "./gen/testpb/v1/test_pb.js";

test("grpc-timeout: the finest unit within 8 digits, rounded up", () => {
  const cases: [number, string][] = [
    [1, "1m"],
    [1500, "1500m"],
    [99_999_999, "99999999m"],
    [100_000_000, "100000S"],
    [100_000_001, "100001S"],
    [0.5, "500u"],
    [1.0000001, "1001u"],
    [0.0000004, "1u"],
    [0, "0n"],
    [-5, "0n"],
    [99_999_999 * 60_000 + 1, "1666667H"],
    [Number.MAX_SAFE_INTEGER, "99999999H"],
    [1e20, "99999999H"],
  ];
  for (const [ms, want] of cases) assert.is(encodeGrpcTimeout(ms), want, String(ms));
  // Whatever is sent parses back to no less than was asked.
  for (const ms of [1, 7.25, 1234.5, 86_400_000, 123_456_789_012]) {
    assert.ok(parseGrpcTimeout(encodeGrpcTimeout(ms))! >= ms, String(ms));
  }
});

test("grpc-timeout: every unit parses; anything else is invalid_argument", () => {
  const good: [string, number][] = [
    ["1H", 3_600_000],
    ["2M", 120_000],
    ["3S", 3000],
    ["45m", 45],
    ["7u", 0.007],
    ["3000000n", 3],
    ["0m", 0],
    ["99999999H", 99_999_999 * 3_600_000],
  ];
  for (const [value, ms] of good) assert.is(parseGrpcTimeout(value), ms, value);
  assert.is(parseGrpcTimeout(undefined), undefined);
  for (const bad of ["", "m", "123456789m", "1x", "-1m", " 1m", "1 m", "1.5S", "1h", "1s", "١m"]) {
    try {
      parseGrpcTimeout(bad);
      assert.unreachable(bad);
    } catch (e) {
      assert.instance(e, ConnectError, bad);
      assert.is((e as ConnectError).code, Code.InvalidArgument, bad);
    }
  }
});

test("grpc-message: percent-encoding of non-printable and non-ASCII bytes, lenient decoding", () => {
  assert.is(percentEncodeMessage("plain text ~!"), "plain text ~!");
  assert.is(percentEncodeMessage("100%"), "100%25");
  assert.is(percentEncodeMessage("a\r\nb"), "a%0D%0Ab");
  assert.is(percentEncodeMessage("é"), "%C3%A9");
  for (const text of ["", "x", "100% sure", "ünïcödé ✓ 𝄞", "\t\0\x7f", "%41"]) {
    assert.is(percentDecodeMessage(percentEncodeMessage(text)), text, text);
  }
  assert.is(percentDecodeMessage("%zz%4"), "%zz%4");
  assert.is(percentDecodeMessage("a%41%c3%A9"), "aAé");
  assert.is(percentDecodeMessage("%FF"), "\uFFFD");
  assert.is(percentDecodeMessage("ünïcode raw"), "ünïcode raw");
});

test("google.rpc.Status round-trips, keeps unknown detail types and skips unknown fields", () => {
  const details = [
    { type: "testpb.v1.RetryInfo", value: new Uint8Array([8, 42]) },
    { type: "some.Unknown", value: new Uint8Array(0) },
  ];
  const bytes = encodeRpcStatus({ code: 5, message: "nope ✓", details });
  const back = decodeRpcStatus(bytes);
  assert.is(back.code, 5);
  assert.is(back.message, "nope ✓");
  assert.equal(
    back.details.map((d) => d.type),
    ["testpb.v1.RetryInfo", "some.Unknown"],
  );
  assert.equal([...back.details[0]!.value], [8, 42]);
  // Field 9 (varint) and field 10 (bytes) are not part of Status: skipped.
  const extra = new Uint8Array([...bytes, 0x48, 0x01, 0x52, 0x01, 0x00]);
  assert.is(decodeRpcStatus(extra).code, 5);
  assert.throws(() => decodeRpcStatus(new Uint8Array([0x12, 0x10, 0x41])));
});

test("status trailers: success, errors with details and metadata, malformed statuses", () => {
  const ok = new Metadata();
  setStatusTrailers(ok, undefined);
  assert.is(ok.get("grpc-status"), "0");
  assert.is(errorFromStatus(ok, new Metadata()), undefined);

  const err = new ConnectError("bad\nthing", Code.FailedPrecondition, {
    metadata: { "x-meta": "m" },
    details: [{ desc: RetryInfoSchema, value: { retryAfterMs: 9 } }],
  });
  const t = new Metadata({ "x-app": "a" });
  setStatusTrailers(t, err);
  assert.is(t.get("grpc-status"), "9");
  assert.is(t.get("grpc-message"), "bad%0Athing");
  assert.is(t.get("x-meta"), "m");
  assert.is(t.get("x-app"), "a");
  assert.not.match(t.get("grpc-status-details-bin")!, /=/);
  const back = errorFromStatus(t, new Metadata({ "x-meta": "m" }))!;
  assert.is(back.code, Code.FailedPrecondition);
  assert.is(back.rawMessage, "bad\nthing");
  assert.is(back.findDetails(RetryInfoSchema)[0]?.retryAfterMs, 9);
  assert.is(back.metadata.get("x-meta"), "m");

  // Details win over the plain headers, as in other gRPC implementations.
  const mixed = new Metadata(t).set("grpc-status", "2").set("grpc-message", "other");
  assert.is(errorFromStatus(mixed, new Metadata())!.code, Code.FailedPrecondition);
  assert.is(errorFromStatus(mixed, new Metadata())!.rawMessage, "bad\nthing");
  // Padded base64 is accepted too.
  const padded = new Metadata(t).set(
    "grpc-status-details-bin",
    `${t.get("grpc-status-details-bin")}${"=".repeat((4 - (t.get("grpc-status-details-bin")!.length % 4)) % 4)}`,
  );
  assert.is(errorFromStatus(padded, new Metadata())!.code, Code.FailedPrecondition);

  const cases: [Record<string, string>, Code, string][] = [
    [{ "grpc-status": "14", "grpc-message": "down%21" }, Code.Unavailable, "down!"],
    [{ "grpc-status": "99" }, Code.Unknown, ""],
    [{ "grpc-status": "abc" }, Code.Internal, 'protocol error: invalid grpc-status "abc"'],
    [{ "grpc-status": "" }, Code.Internal, 'protocol error: invalid grpc-status ""'],
    [
      { "grpc-status": "3", "grpc-status-details-bin": "!!!" },
      Code.Internal,
      "protocol error: invalid grpc-status-details-bin",
    ],
  ];
  for (const [init, code, message] of cases) {
    const e = errorFromStatus(new Metadata(init), new Metadata())!;
    assert.is(e.code, code, JSON.stringify(init));
    assert.is(e.rawMessage, message, JSON.stringify(init));
  }
});

test("gRPC-Web trailer blocks: CRLF lines, lower-case names, repeated values, strict about junk", () => {
  const m = new Metadata({ "grpc-status": "0", "X-Multi": ["a", "b"], "x-bin-bin": "AAEC" });
  const bytes = encodeTrailerBlock(m);
  assert.is(
    new TextDecoder().decode(bytes),
    "grpc-status: 0\r\nx-multi: a\r\nx-multi: b\r\nx-bin-bin: AAEC\r\n",
  );
  const back = parseTrailerBlock(bytes);
  assert.equal(back.getAll("x-multi"), ["a", "b"]);
  assert.equal([...back.getBinary("x-bin-bin")!], [0, 1, 2]);
  const lf = parseTrailerBlock(new TextEncoder().encode("Grpc-Status:5\nGrpc-Message: a: b  \n\n"));
  assert.is(lf.get("grpc-status"), "5");
  assert.is(lf.get("grpc-message"), "a: b");
  assert.is(parseTrailerBlock(new Uint8Array(0)).size, 0);
  for (const junk of [
    new TextEncoder().encode("no colon here\r\n"),
    new Uint8Array([0xff, 0x3a]),
  ]) {
    try {
      parseTrailerBlock(junk);
      assert.unreachable();
    } catch (e) {
      assert.is((e as ConnectError).code, Code.Internal);
    }
  }
});

test("content types: bare means proto, codecs by suffix, gRPC and gRPC-Web kept apart", () => {
  const grpc: [string, string | undefined][] = [
    ["application/grpc", "proto"],
    ["application/grpc+proto", "proto"],
    ["Application/GRPC+JSON", "json"],
    ["application/grpc+json; charset=utf-8", "json"],
    ["application/grpc;x=1", "proto"],
    ["application/grpc+thrift", undefined],
    ["application/grpc-web", undefined],
    ["application/grpcx", undefined],
    ["application/json", undefined],
  ];
  for (const [value, codec] of grpc)
    assert.is(parseGrpcContentType(value, false)?.codec, codec, value);
  const web: [string, string | undefined][] = [
    ["application/grpc-web", "proto"],
    ["application/grpc-web+proto", "proto"],
    ["application/grpc-web+json", "json"],
    ["application/grpc-web-text", undefined],
    ["application/grpc-web-text+proto", undefined],
    ["application/grpc", undefined],
  ];
  for (const [value, codec] of web)
    assert.is(parseGrpcContentType(value, true)?.codec, codec, value);
  assert.is(parseGrpcContentType("application/grpc", false)?.bare, true);
  assert.is(parseGrpcContentType("application/grpc+proto", false)?.bare, false);
  assert.is(grpcContentType("proto", false), "application/grpc");
  assert.is(grpcContentType("json", false), "application/grpc+json");
  assert.is(grpcContentType("proto", true), "application/grpc-web+proto");
  assert.ok(looksLikeGrpc("application/grpc+cbor", false));
  assert.not.ok(looksLikeGrpc("application/grpc-web", false));
  assert.not.ok(looksLikeGrpc("text/html", true));
});

test.run();
