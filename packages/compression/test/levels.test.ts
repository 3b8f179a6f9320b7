import { test } from "uvu";
import * as assert from "uvu/assert";
import * as fflateBuild from "../src/fflate/index.js";
import * as nodeBuild from "../src/node/index.js";
import { recordBytes } from "./helpers/builds.js";

const input = recordBytes(512 * 1024);

for (const build of [nodeBuild, fflateBuild]) {
  test(`${build.runtime}: out-of-range levels are refused when the codec is made`, () => {
    assert.throws(() => build.createGzip({ level: 10 }), RangeError);
    assert.throws(() => build.createDeflate({ level: -2 }), RangeError);
    assert.throws(() => build.createBrotli({ level: 12 }), RangeError);
    assert.throws(() => build.createZstd({ level: 23 }), RangeError);
    assert.throws(() => build.createGzip({ level: 1.5 }), RangeError);
  });
  test(`${build.runtime}: a higher gzip level compresses smaller`, async () => {
    const fast = await build.createGzip({ level: 1 }).compress(input);
    const best = await build.createGzip({ level: 9 }).compress(input);
    assert.ok(best.length < fast.length, `${best.length} vs ${fast.length}`);
  });
}

test("node: brotli and zstd levels take effect", async () => {
  const br0 = await nodeBuild.createBrotli({ level: 0 }).compress(input);
  const br9 = await nodeBuild.createBrotli({ level: 9 }).compress(input);
  assert.ok(br9.length < br0.length, `br ${br9.length} vs ${br0.length}`);
  const z1 = await nodeBuild.createZstd({ level: 1 }).compress(input);
  const z19 = await nodeBuild.createZstd({ level: 19 }).compress(input);
  assert.ok(z19.length < z1.length, `zstd ${z19.length} vs ${z1.length}`);
});

test.run();
