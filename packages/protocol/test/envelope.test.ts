import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  Code,
  ConnectError,
  EnvelopeDecoder,
  encodeEnvelope,
  readEnvelopes,
} from "../src/index.js";

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

test("encodeEnvelope writes flags and a big-endian length", () => {
  const env = encodeEnvelope(2, new Uint8Array([9, 8, 7]));
  assert.equal([...env], [2, 0, 0, 0, 3, 9, 8, 7]);
  const big = encodeEnvelope(0, new Uint8Array(0x010203));
  assert.equal([...big.subarray(0, 5)], [0, 0, 1, 2, 3]);
});

test("decoder handles every split point of several frames", () => {
  const frames = [
    encodeEnvelope(0, new Uint8Array([1, 2, 3])),
    encodeEnvelope(1, new Uint8Array(0)),
    encodeEnvelope(2, new Uint8Array([4, 5, 6, 7, 8, 9])),
  ];
  const all = concat(...frames);
  for (let a = 0; a <= all.length; a++) {
    for (let b = a; b <= all.length; b++) {
      const d = new EnvelopeDecoder(100);
      const got = [
        ...d.push(all.subarray(0, a)),
        ...d.push(all.subarray(a, b)),
        ...d.push(all.subarray(b)),
      ];
      d.end();
      assert.equal(
        got.map((f) => [f.flags, [...f.data]]),
        [
          [0, [1, 2, 3]],
          [1, []],
          [2, [4, 5, 6, 7, 8, 9]],
        ],
      );
    }
  }
});

test("decoder handles one byte at a time", () => {
  const all = concat(
    encodeEnvelope(0, new Uint8Array([1, 2])),
    encodeEnvelope(0, new Uint8Array([3])),
  );
  const d = new EnvelopeDecoder(10);
  const got = [];
  for (const byte of all) got.push(...d.push(new Uint8Array([byte])));
  d.end();
  assert.equal(
    got.map((f) => [...f.data]),
    [[1, 2], [3]],
  );
});

test("an oversized frame is rejected from its header, before its payload arrives", () => {
  const d = new EnvelopeDecoder(10);
  const header = encodeEnvelope(0, new Uint8Array(11)).subarray(0, 5);
  try {
    d.push(header);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, ConnectError);
    assert.is((e as ConnectError).code, Code.ResourceExhausted);
  }
  // A length of 4 GiB - 1 is rejected the same way, without allocating it.
  const d2 = new EnvelopeDecoder(4 * 1024 * 1024);
  assert.throws(
    () => d2.push(new Uint8Array([0, 0xff, 0xff, 0xff, 0xff])),
    (e: unknown) => (e as ConnectError).code === Code.ResourceExhausted,
  );
});

test("a truncated stream is an error, in the header and in the payload", () => {
  const frame = encodeEnvelope(0, new Uint8Array([1, 2, 3, 4]));
  for (let cut = 1; cut < frame.length; cut++) {
    const d = new EnvelopeDecoder(10);
    assert.equal(d.push(frame.subarray(0, cut)), []);
    assert.ok(d.partial);
    try {
      d.end();
      assert.unreachable();
    } catch (e) {
      assert.instance(e, ConnectError);
      assert.is((e as ConnectError).code, Code.InvalidArgument);
    }
  }
  const d = new EnvelopeDecoder(10, Code.Internal);
  d.push(frame.subarray(0, 3));
  assert.throws(
    () => d.end(),
    (e: unknown) => (e as ConnectError).code === Code.Internal,
  );
});

test("readEnvelopes reads a chunked body and reports truncation", async () => {
  async function* body(): AsyncGenerator<Uint8Array> {
    const all = concat(
      encodeEnvelope(0, new Uint8Array([1])),
      encodeEnvelope(0, new Uint8Array([2, 3])),
    );
    for (const b of all) yield new Uint8Array([b]);
    yield new Uint8Array([0, 0, 0]);
  }
  const seen: number[][] = [];
  try {
    for await (const env of readEnvelopes(body(), 100)) seen.push([...env.data]);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, ConnectError);
  }
  assert.equal(seen, [[1], [2, 3]]);
});

test.run();
