import { Code } from "@connect-ts/protocol";
import { rejectsWith } from "@connect-ts/test-support";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { scanZstdFrames } from "../src/zstd-frame.js";
import { zstdRleFrame } from "./helpers/bombs.js";
import { builds, recordBytes } from "./helpers/builds.js";

const LIMIT = 4 * 1024 * 1024;
const BLOCK = 128 * 1024;

test("scan: declared sizes add up over frames", async () => {
  const a = zstdRleFrame(2, 2 * BLOCK);
  const b = zstdRleFrame(3, 3 * BLOCK);
  const scan = scanZstdFrames(Buffer.concat([a, b]));
  assert.is(scan.contentSize, 5 * BLOCK);
  assert.is(scan.maxWindow, BLOCK);
});

test("scan: one frame without a size makes the total unknown", () => {
  const scan = scanZstdFrames(Buffer.concat([zstdRleFrame(1, BLOCK), zstdRleFrame(1)]));
  assert.is(scan.contentSize, undefined);
});

test("scan: the native encoder declares the content size", async () => {
  const input = recordBytes(100_000);
  const scan = scanZstdFrames(await builds[0]!.zstd.compress(input));
  assert.is(scan.contentSize, input.length);
});

test("scan: skippable frames are stepped over", () => {
  const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
  const scan = scanZstdFrames(Buffer.concat([skippable, zstdRleFrame(1, BLOCK), skippable]));
  assert.is(scan.contentSize, BLOCK);
});

test("scan: defects are reported", () => {
  const frame = zstdRleFrame(2, 2 * BLOCK);
  assert.throws(() => scanZstdFrames(frame.subarray(0, frame.length - 1)), /truncated/);
  assert.throws(
    () => scanZstdFrames(Buffer.concat([frame, Buffer.from([1, 2])])),
    /truncated|not a zstd/,
  );
  const withDict = Uint8Array.from(frame);
  withDict[4] = withDict[4]! | 1;
  assert.throws(() => scanZstdFrames(withDict), /dictionary/);
  const reserved = Uint8Array.from(frame);
  reserved[4] = reserved[4]! | 8;
  assert.throws(() => scanZstdFrames(reserved), /reserved/);
});

for (const build of builds) {
  test(`${build.runtime} zstd: several frames and skippable frames decode in order`, async () => {
    const skippable = Buffer.from([0x5f, 0x2a, 0x4d, 0x18, 1, 0, 0, 0, 9]);
    const data = Buffer.concat([
      zstdRleFrame(1, BLOCK, 0x41),
      skippable,
      zstdRleFrame(1, undefined, 0x42),
    ]);
    const out = await build.zstd.decompress(data, LIMIT);
    assert.is(out.length, 2 * BLOCK);
    assert.is(out[0], 0x41);
    assert.is(out[BLOCK], 0x42);
  });
  test(`${build.runtime} zstd: a window out of proportion to the limit is refused before allocating`, async () => {
    // No content size, window descriptor asking for 2 GiB.
    const frame = zstdRleFrame(1);
    frame[5] = 21 << 3;
    await rejectsWith(build.zstd.decompress(frame, LIMIT), Code.ResourceExhausted);
  });
  test(`${build.runtime} zstd: trailing garbage after a frame is invalid_argument`, async () => {
    const data = Buffer.concat([zstdRleFrame(1, BLOCK), Buffer.from("garbage!")]);
    await rejectsWith(build.zstd.decompress(data, LIMIT), Code.InvalidArgument);
  });
}

test.run();
