import { Code } from "@connect-ts/protocol";
import { rejectsWith } from "@connect-ts/test-support";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { builds, randomBytes, recordBytes } from "./helpers/builds.js";

const LIMIT = 64 * 1024 * 1024;
const inputs: [string, Uint8Array][] = [
  ["empty", new Uint8Array(0)],
  ["one byte", new Uint8Array([42])],
  ["1 KiB of records", recordBytes(1024)],
  ["1 MiB of records", recordBytes(1024 * 1024)],
  ["256 KiB random", randomBytes(256 * 1024)],
  ["5 MiB of zeros", new Uint8Array(5 * 1024 * 1024)],
];

for (const build of builds) {
  const codecs = [build.gzip, build.deflate, build.brotli, build.zstd];
  for (const codec of codecs) {
    const canCompress = build.runtime === "node" || ["gzip", "deflate"].includes(codec.name);
    if (!canCompress) continue;
    for (const [label, input] of inputs) {
      test(`${build.runtime} ${codec.name}: round trip of ${label}`, async () => {
        const packed = await codec.compress(input);
        const unpacked = await codec.decompress(packed, LIMIT);
        assert.is(unpacked.length, input.length);
        assert.ok(Buffer.from(unpacked).equals(Buffer.from(input)), "bytes differ");
      });
    }
    test(`${build.runtime} ${codec.name}: records shrink`, async () => {
      const input = recordBytes(64 * 1024);
      const packed = await codec.compress(input);
      assert.ok(packed.length < input.length / 3, `${packed.length} of ${input.length}`);
    });
    test(`${build.runtime} ${codec.name}: a limit equal to the size passes, one byte less fails`, async () => {
      const input = recordBytes(100_000);
      const packed = await codec.compress(input);
      assert.is((await codec.decompress(packed, input.length)).length, input.length);
      await rejectsWith(codec.decompress(packed, input.length - 1), Code.ResourceExhausted);
    });
    test(`${build.runtime} ${codec.name}: a zero limit admits only empty output`, async () => {
      assert.is((await codec.decompress(await codec.compress(new Uint8Array(0)), 0)).length, 0);
      const one = await codec.compress(new Uint8Array([1]));
      await rejectsWith(codec.decompress(one, 0), Code.ResourceExhausted);
    });
    test(`${build.runtime} ${codec.name}: views into a larger buffer are read at their offset`, async () => {
      const input = recordBytes(4096);
      const packed = await codec.compress(input);
      const padded = new Uint8Array(packed.length + 20);
      padded.set(packed, 10);
      const view = padded.subarray(10, 10 + packed.length);
      assert.ok(Buffer.from(await codec.decompress(view, LIMIT)).equals(Buffer.from(input)));
      const inputView = new Uint8Array(input.length + 8);
      inputView.set(input, 4);
      const packedView = await codec.compress(inputView.subarray(4, 4 + input.length));
      assert.ok(Buffer.from(await codec.decompress(packedView, LIMIT)).equals(Buffer.from(input)));
    });
  }
}

test("node: small decompressed messages do not keep a large buffer alive", async () => {
  const node = builds[0]!;
  for (const codec of [node.gzip, node.deflate, node.brotli]) {
    const out = await codec.decompress(await codec.compress(recordBytes(100)), LIMIT);
    assert.is(out.length, 100);
    assert.ok(out.buffer.byteLength < 1024, `${codec.name}: ${out.buffer.byteLength}`);
  }
});

test("names on the wire", () => {
  for (const build of builds) {
    assert.equal(
      [build.gzip.name, build.deflate.name, build.brotli.name, build.zstd.name],
      ["gzip", "deflate", "br", "zstd"],
    );
  }
});

test.run();
