// Run by optional-zstd.test.ts in a process where @mongodb-js/zstd cannot be
// found; prints one JSON line of what worked.
import { brotli, gzip, zstd } from "../../src/node/index.js";

const text = new TextEncoder().encode("optional dependencies stay optional. ".repeat(100));
const report: Record<string, unknown> = {};
report.gzip = (await gzip.decompress(await gzip.compress(text), 1 << 20)).length;
report.brotli = (await brotli.decompress(await brotli.compress(text), 1 << 20)).length;
report.zstdCompress = await zstd.compress(text).then(
  () => "ok",
  (e: { code?: number; rawMessage?: string }) => ({ code: e.code, message: e.rawMessage }),
);
// A frame made elsewhere (one raw block) still decodes, in pure JavaScript.
const frame = new Uint8Array([
  0x28, 0xb5, 0x2f, 0xfd, 0x20, 5, 0x29, 0, 0, 104, 101, 108, 108, 111,
]);
report.zstdDecompress = new TextDecoder().decode(await zstd.decompress(frame, 1 << 20));
console.log(JSON.stringify(report));
