import { Code } from "@connect-ts/protocol";
import { rejectsWith } from "@connect-ts/test-support";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { builds, randomBytes, recordBytes } from "./helpers/builds.js";

const LIMIT = 4 * 1024 * 1024;
const text = new TextEncoder().encode("this is not compressed at all, just text");

for (const build of builds) {
  const { runtime } = build;
  const codecs = [build.gzip, build.deflate, build.zstd].concat(
    runtime === "node" ? [build.brotli] : [],
  );
  for (const codec of codecs) {
    test(`${runtime} ${codec.name}: plain text is invalid_argument`, async () => {
      const error = await rejectsWith(codec.decompress(text, LIMIT), Code.InvalidArgument);
      assert.match(error.rawMessage, codec.name);
      assert.ok(error.cause !== undefined, "keeps the underlying error as cause");
    });
    test(`${runtime} ${codec.name}: random bytes are invalid_argument`, async () => {
      await rejectsWith(codec.decompress(randomBytes(3000, 7), LIMIT), Code.InvalidArgument);
    });
    test(`${runtime} ${codec.name}: empty input decompresses to empty output`, async () => {
      assert.is((await codec.decompress(new Uint8Array(0), LIMIT)).length, 0);
    });
  }
  for (const name of ["gzip", "deflate", "zstd", "br"] as const) {
    const codec = name === "br" ? build.brotli : build[name];
    const source = builds[0]!;
    const producer = name === "br" ? source.brotli : source[name];
    if (runtime !== "node" && name === "br") continue;
    test(`${runtime} ${name}: a truncated stream is invalid_argument`, async () => {
      const packed = await producer.compress(recordBytes(200_000));
      await rejectsWith(
        codec.decompress(packed.subarray(0, packed.length >> 1), LIMIT),
        Code.InvalidArgument,
      );
    });
  }
}

test("fflate br: unavailable both ways with unimplemented", async () => {
  const fflate = builds[1]!;
  await rejectsWith(fflate.brotli.compress(text), Code.Unimplemented);
  await rejectsWith(fflate.brotli.decompress(text, LIMIT), Code.Unimplemented);
});

test("fflate zstd: compression is unimplemented, decompression works", async () => {
  const [node, fflate] = [builds[0]!, builds[1]!];
  await rejectsWith(fflate.zstd.compress(text), Code.Unimplemented);
  const input = recordBytes(300_000);
  const out = await fflate.zstd.decompress(await node.zstd.compress(input), LIMIT);
  assert.ok(Buffer.from(out).equals(Buffer.from(input)));
});

test("builds read each other's gzip and deflate", async () => {
  const [node, fflate] = [builds[0]!, builds[1]!];
  const input = recordBytes(500_000);
  for (const name of ["gzip", "deflate"] as const) {
    const a = await fflate[name].decompress(await node[name].compress(input), LIMIT);
    const b = await node[name].decompress(await fflate[name].compress(input), LIMIT);
    assert.ok(Buffer.from(a).equals(Buffer.from(input)), `node -> fflate ${name}`);
    assert.ok(Buffer.from(b).equals(Buffer.from(input)), `fflate -> node ${name}`);
  }
});

test("gzip: concatenated members read as one stream", async () => {
  for (const build of builds) {
    const a = await builds[0]!.gzip.compress(recordBytes(1000));
    const b = await builds[0]!.gzip.compress(text);
    const joined = Buffer.concat([a, b]);
    const out = await build.gzip.decompress(joined, LIMIT);
    assert.is(out.length, 1000 + text.length, build.runtime);
  }
});

test("deflate: raw DEFLATE (no zlib header) is read too", async () => {
  const { deflateRawSync } = await import("node:zlib");
  const input = recordBytes(50_000);
  for (const build of builds) {
    const out = await build.deflate.decompress(deflateRawSync(input), LIMIT);
    assert.ok(Buffer.from(out).equals(Buffer.from(input)), build.runtime);
  }
});

test("gzip: a corrupted byte in the middle is invalid_argument on node", async () => {
  const node = builds[0]!;
  const packed = Buffer.from(await node.gzip.compress(recordBytes(100_000)));
  packed[packed.length - 6]! ^= 0xff; // inside the CRC-32
  await rejectsWith(node.gzip.decompress(packed, LIMIT), Code.InvalidArgument);
});

test("fflate gzip: a trailer that lies about the size does not cut the output", async () => {
  const fflate = builds[1]!;
  const input = recordBytes(3000);
  const packed = Buffer.from(await builds[0]!.gzip.compress(input));
  packed.writeUInt32LE(10, packed.length - 4);
  const out = await fflate.gzip.decompress(packed, LIMIT);
  assert.ok(Buffer.from(out).equals(Buffer.from(input)));
});
test.run();
