import { createRegistry } from "@bufbuild/protobuf";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  base64Decode,
  base64Encode,
  Code,
  ConnectError,
  codeFromString,
  codeToString,
  errorFromJsonBytes,
  errorToJson,
  errorToJsonBytes,
  isCode,
  Metadata,
} from "../src/index.js";
import { EchoRequestSchema, RetryInfoSchema } from "./gen/testpb/v1/test_pb.js";

test("codes: 16 names, both directions", () => {
  const names = [
    "canceled",
    "unknown",
    "invalid_argument",
    "deadline_exceeded",
    "not_found",
    "already_exists",
    "permission_denied",
    "resource_exhausted",
    "failed_precondition",
    "aborted",
    "out_of_range",
    "unimplemented",
    "internal",
    "unavailable",
    "data_loss",
    "unauthenticated",
  ];
  names.forEach((name, i) => {
    assert.is(codeToString((i + 1) as Code), name);
    assert.is(codeFromString(name), i + 1);
  });
  assert.is(codeFromString("ok"), undefined);
  assert.is(codeFromString("CANCELED"), undefined);
  assert.not.ok(isCode(0));
  assert.not.ok(isCode(17));
  assert.ok(isCode(16));
});

test("metadata: case-insensitive, multi-valued, ordered, -bin values base64", () => {
  const m = new Metadata({ "X-A": "1", "x-b": ["2", "3"] });
  m.append("x-a", "4");
  assert.equal(m.getAll("X-a"), ["1", "4"]);
  assert.is(m.get("x-b"), "2, 3");
  assert.equal(
    [...m],
    [
      ["x-a", "1"],
      ["x-a", "4"],
      ["x-b", "2"],
      ["x-b", "3"],
    ],
  );
  m.appendBinary("x-bin", new Uint8Array([0, 255, 1]));
  assert.is(m.get("x-bin"), "AP8B");
  assert.equal([...m.getBinary("X-Bin")!], [0, 255, 1]);
  m.append("y-bin", "AP8B, AP8=");
  assert.equal(
    m.getAllBinary("y-bin").map((b) => [...b]),
    [
      [0, 255, 1],
      [0, 255],
    ],
  );
  assert.throws(() => m.appendBinary("nobin", new Uint8Array(1)));
  const copy = new Metadata(m);
  copy.set("x-a", "z");
  assert.is(m.get("x-a"), "1, 4");
});

test("base64: both alphabets, padded or not; bad input throws", () => {
  for (let n = 0; n < 20; n++) {
    const bytes = new Uint8Array(n).map((_, i) => (i * 97 + 13) & 255);
    assert.equal([...base64Decode(base64Encode(bytes))], [...bytes]);
    assert.equal([...base64Decode(base64Encode(bytes, true))], [...bytes]);
  }
  assert.is(base64Encode(new Uint8Array([251, 255])), "+/8=");
  assert.is(base64Encode(new Uint8Array([251, 255]), true), "-_8");
  assert.throws(() => base64Decode("a"));
  assert.throws(() => base64Decode("ab$d"));
});

test("ConnectError: message prefix, cause, from() of aborts and timeouts", () => {
  const e = new ConnectError("boom", Code.NotFound);
  assert.is(e.message, "[not_found] boom");
  assert.is(e.rawMessage, "boom");
  const cause = new Error("x");
  assert.is(ConnectError.from(cause).cause, cause);
  assert.is(ConnectError.from(cause).code, Code.Unknown);
  assert.is(ConnectError.from(new DOMException("a", "AbortError")).code, Code.Canceled);
  assert.is(ConnectError.from(new DOMException("t", "TimeoutError")).code, Code.DeadlineExceeded);
  assert.is(ConnectError.from(e), e);
});

test("ConnectError: a number that is not one of the 16 codes becomes unknown", () => {
  for (const bad of [0, 17, -1, 2.5, 1e9]) {
    const err = new ConnectError("x", bad as Code);
    assert.is(err.code, Code.Unknown);
    assert.is(err.message, "[unknown] x");
  }
  assert.is(new ConnectError("x", Code.DataLoss).code, Code.DataLoss);
});

test("ConnectError details: packed from messages, unpacked by type or registry, unknown types kept raw", () => {
  const err = new ConnectError("d", Code.Aborted, {
    details: [
      { desc: RetryInfoSchema, value: { retryAfterMs: 5 } },
      { type: "some.unknown.Type", value: new Uint8Array([8, 1]) },
    ],
  });
  // Through the wire and back.
  const back = errorFromJsonBytes(errorToJsonBytes(err), undefined, Code.Unknown)!;
  assert.is(back.code, Code.Aborted);
  assert.is(back.details.length, 2);
  assert.is(back.details[1]!.type, "some.unknown.Type");
  assert.equal([...back.details[1]!.value], [8, 1]);
  assert.is(back.findDetails(RetryInfoSchema)[0]?.retryAfterMs, 5);
  const viaRegistry = back.findDetails(createRegistry(RetryInfoSchema, EchoRequestSchema));
  assert.is(viaRegistry.length, 1);
  assert.is(back.findDetails(EchoRequestSchema).length, 0);
  // Values use the standard alphabet without padding.
  const odd = new ConnectError("o", Code.Aborted, {
    details: [{ type: "x.Y", value: new Uint8Array([0xfb, 0xff]) }],
  });
  assert.equal(errorToJson(odd).details?.[0]?.value, "+/8");
  // A detail that claims a known type but does not decode is skipped.
  const broken = new ConnectError("b", Code.Aborted, {
    details: [{ type: "testpb.v1.RetryInfo", value: new Uint8Array([0xff]) }],
  });
  assert.is(broken.findDetails(RetryInfoSchema).length, 0);
});

test.run();
