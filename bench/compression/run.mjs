// Compression benchmark: throughput (MB/s, compress and decompress) and ratio
// of every algorithm and a range of levels, on a ~1 MiB and a ~1 KiB Protobuf
// message. Prints a table and writes bench/results/compression.json.
//
//   npx tsc -p packages/compression && node bench/compression/run.mjs [--quick]
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import * as fflateBuild from "@connect-ts/compression/fflate";
import * as nodeBuild from "@connect-ts/compression/node";
import { recordsPayload } from "./payload.mjs";

const quick = process.argv.includes("--quick");
/** Each measurement runs at least this long (after one warm-up call). */
const MIN_MS = quick ? 60 : 300;
/** And never more than this many calls, whatever the speed. */
const MAX_CALLS = 20000;

const payloads = {
  "1 MiB": recordsPayload(1 << 20),
  "1 KiB": recordsPayload(1024),
};

/** [build, algorithm, level, codec] rows; `undefined` level means the default. */
const rows = [];
const levels = {
  gzip: [1, 6, 9],
  deflate: [1, 6],
  br: [1, 4, 5, 6, 9, 11],
  zstd: [1, 3, 6, 12, 19],
};
const factories = {
  gzip: nodeBuild.createGzip,
  deflate: nodeBuild.createDeflate,
  br: nodeBuild.createBrotli,
  zstd: nodeBuild.createZstd,
};
for (const [name, list] of Object.entries(levels)) {
  for (const level of list) {
    rows.push(["node", name, level, factories[name]({ level })]);
  }
}
for (const level of [1, 6]) {
  rows.push(["fflate", "gzip", level, fflateBuild.createGzip({ level })]);
  rows.push(["fflate", "deflate", level, fflateBuild.createDeflate({ level })]);
}
// The fflate build decodes zstd but does not encode it: measured on node's output.
rows.push([
  "fflate",
  "zstd",
  3,
  fflateBuild.createZstd({ level: 3 }),
  nodeBuild.createZstd({ level: 3 }),
]);

async function measure(fn) {
  await fn();
  let calls = 0;
  const started = performance.now();
  let elapsed = 0;
  while (calls < MAX_CALLS && (elapsed < MIN_MS || calls < 2)) {
    await fn();
    calls++;
    elapsed = performance.now() - started;
  }
  return elapsed / calls;
}

const results = [];
for (const [build, algorithm, level, codec, encoder = codec] of rows) {
  for (const [label, data] of Object.entries(payloads)) {
    const packed = await encoder.compress(data);
    const check = await codec.decompress(packed, data.length);
    if (!Buffer.from(check).equals(Buffer.from(data)))
      throw new Error(`${algorithm} round trip failed`);
    const compressMs = encoder === codec ? await measure(() => codec.compress(data)) : undefined;
    const decompressMs = await measure(() => codec.decompress(packed, data.length));
    const mbps = (ms) => (ms === undefined ? undefined : data.length / 1e6 / (ms / 1000));
    results.push({
      build,
      algorithm,
      level,
      payload: label,
      bytes: data.length,
      compressedBytes: packed.length,
      ratio: data.length / packed.length,
      compressMBps: mbps(compressMs),
      decompressMBps: mbps(decompressMs),
      compressUs: compressMs === undefined ? undefined : compressMs * 1000,
      decompressUs: decompressMs * 1000,
    });
  }
}

const fmt = (n, digits = 1) => (n === undefined ? "-" : n.toFixed(digits));
const header = [
  "build",
  "codec",
  "level",
  "payload",
  "ratio",
  "comp MB/s",
  "decomp MB/s",
  "comp us",
  "decomp us",
];
const table = results.map((r) => [
  r.build,
  r.algorithm,
  String(r.level),
  r.payload,
  fmt(r.ratio, 2),
  fmt(r.compressMBps),
  fmt(r.decompressMBps),
  fmt(r.compressUs),
  fmt(r.decompressUs),
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
const line = (cells) =>
  cells.map((c, i) => (i < 4 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
console.log(line(header));
for (const row of table) console.log(line(row));

const out = new URL("../results/compression.json", import.meta.url);
mkdirSync(new URL(".", out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      node: process.version,
      cpu: os.cpus()[0]?.model ?? "unknown",
      cores: os.cpus().length,
      quick,
      payloads: Object.fromEntries(Object.entries(payloads).map(([k, v]) => [k, v.length])),
      results,
    },
    null,
    2,
  )}\n`,
);
console.log(`\nwritten to bench/results/compression.json`);
