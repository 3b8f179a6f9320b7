// Each bomb is a few KB to a few MB that would inflate to gigabytes. Every
// algorithm in every build must refuse it with resource_exhausted, quickly and
// without holding more than a sliver of what the bomb would make.
import { Code, type Compression } from "@connect-ts/protocol";
import { rejectsWith } from "@connect-ts/test-support";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  brotliBomb,
  GiB,
  gzipBomb,
  MiB,
  peakGrowth,
  rawDeflateBomb,
  zlibBomb,
  zstdRleFrame,
} from "./helpers/bombs.js";
import { builds } from "./helpers/builds.js";

/** The read limit of a default client or server. */
const LIMIT = 4 * MiB;
/** Far less than any bomb here would make, far more than noise. */
const MEMORY_BUDGET = 96 * MiB;
/** Blocks of 128 KiB: 8192 of them make a GiB. */
const BLOCKS_PER_GIB = 8192;

const gz = gzipBomb(1024);
const zl = zlibBomb(1024);
const raw = rawDeflateBomb(1024);
const br = brotliBomb();
const zstdNoSize = zstdRleFrame(4 * BLOCKS_PER_GIB);
const zstdLying = zstdRleFrame(BLOCKS_PER_GIB, 1000);
const zstdHonest = zstdRleFrame(4 * BLOCKS_PER_GIB, 4 * GiB);

async function expectDefused(codec: Compression, bomb: Uint8Array, code: Code, limit = LIMIT) {
  const started = performance.now();
  const grew = await peakGrowth(() => rejectsWith(codec.decompress(bomb, limit), code));
  await rejectsWith(codec.decompress(bomb, limit), code);
  const ms = performance.now() - started;
  assert.ok(grew < MEMORY_BUDGET, `memory grew by ${(grew / MiB).toFixed(1)} MiB`);
  assert.ok(ms < 5000, `took ${ms.toFixed(0)} ms`);
}

test("the bombs are what they claim (sizes on the wire)", () => {
  assert.ok(gz.length < 1.1 * MiB && zl.length < 1.1 * MiB && raw.length < 1.1 * MiB);
  assert.ok(br.length < 4096, `brotli bomb is ${br.length} bytes`);
  assert.ok(zstdNoSize.length < 140_000 && zstdHonest.length < 140_000);
});

test("a slice of each DEFLATE bomb inflates to zeros (the bombs are valid)", async () => {
  const node = builds[0]!;
  const small = gzipBomb(8);
  const out = await node.gzip.decompress(small, 8 * MiB);
  assert.is(out.length, 8 * MiB);
  assert.ok(out.every((b) => b === 0));
  assert.is((await node.deflate.decompress(zlibBomb(8), 8 * MiB)).length, 8 * MiB);
  assert.is((await node.deflate.decompress(rawDeflateBomb(8), 8 * MiB)).length, 8 * MiB);
  const zstdSmall = zstdRleFrame(64);
  assert.is((await node.zstd.decompress(zstdSmall, 8 * MiB)).length, 8 * MiB);
  assert.is((await node.zstd.decompress(zstdRleFrame(64, 8 * MiB), 8 * MiB)).length, 8 * MiB);
});

for (const build of builds) {
  const { runtime } = build;
  test(`${runtime} gzip: 1 MiB inflating to 1 GiB is refused`, () =>
    expectDefused(build.gzip, gz, Code.ResourceExhausted));
  test(`${runtime} deflate: zlib stream inflating to 1 GiB is refused`, () =>
    expectDefused(build.deflate, zl, Code.ResourceExhausted));
  test(`${runtime} deflate: raw stream inflating to 1 GiB is refused`, () =>
    expectDefused(build.deflate, raw, Code.ResourceExhausted));
  test(`${runtime} zstd: 128 KiB without a declared size, inflating to 4 GiB, is refused`, () =>
    expectDefused(build.zstd, zstdNoSize, Code.ResourceExhausted));
  test(`${runtime} zstd: a frame declaring 4 GiB is refused from its header`, () =>
    expectDefused(build.zstd, zstdHonest, Code.ResourceExhausted));
  test(`${runtime} zstd: a frame declaring 1000 bytes that holds 1 GiB is refused`, async () => {
    // Its header is within the limit, so the refusal comes from the decoder:
    // invalid_argument where it checks the declared size (native), or
    // resource_exhausted where it counts the output (streaming).
    const grew = await peakGrowth(() => build.zstd.decompress(zstdLying, LIMIT));
    assert.ok(grew < MEMORY_BUDGET, `memory grew by ${(grew / MiB).toFixed(1)} MiB`);
    let error: unknown;
    try {
      await build.zstd.decompress(zstdLying, LIMIT);
    } catch (e) {
      error = e;
    }
    const code = (error as { code?: Code } | undefined)?.code;
    assert.ok(code === Code.InvalidArgument || code === Code.ResourceExhausted, String(error));
  });
}

test("node br: 1.6 KB inflating to 2 GiB is refused (inline path)", () =>
  expectDefused(builds[0]!.brotli, br, Code.ResourceExhausted));

test("node br: refused on the thread pool too (limit above the inline bound)", () =>
  expectDefused(builds[0]!.brotli, br, Code.ResourceExhausted, 16 * MiB));

test("node gzip: refused with a limit above the inline bound", () =>
  expectDefused(builds[0]!.gzip, gzipBomb(64), Code.ResourceExhausted, 16 * MiB));

test("several bombs at once stay within the budget", async () => {
  const node = builds[0]!;
  const grew = await peakGrowth(() =>
    Promise.all([
      rejectsWith(node.gzip.decompress(gz, LIMIT), Code.ResourceExhausted),
      rejectsWith(node.brotli.decompress(br, LIMIT), Code.ResourceExhausted),
      rejectsWith(node.zstd.decompress(zstdNoSize, LIMIT), Code.ResourceExhausted),
      rejectsWith(node.deflate.decompress(zl, LIMIT), Code.ResourceExhausted),
    ]),
  );
  assert.ok(grew < MEMORY_BUDGET, `memory grew by ${(grew / MiB).toFixed(1)} MiB`);
});

test.run();
