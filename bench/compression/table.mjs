// Prints the figures of bench/results/compression.json as the Markdown table
// that packages/compression/README.md shows.
import { readFileSync } from "node:fs";

const data = JSON.parse(
  readFileSync(new URL("../results/compression.json", import.meta.url), "utf8"),
);
const rows = [
  ["node", "gzip", 1],
  ["node", "gzip", 6],
  ["node", "gzip", 9],
  ["node", "deflate", 1],
  ["node", "br", 1],
  ["node", "br", 4],
  ["node", "br", 5],
  ["node", "br", 6],
  ["node", "br", 11],
  ["node", "zstd", 1],
  ["node", "zstd", 3],
  ["node", "zstd", 6],
  ["node", "zstd", 19],
  ["fflate", "gzip", 1],
  ["fflate", "gzip", 6],
  ["fflate", "zstd", 3],
];
const find = (build, algorithm, level, payload) =>
  data.results.find(
    (r) =>
      r.build === build && r.algorithm === algorithm && r.level === level && r.payload === payload,
  );
const n = (v, digits) =>
  v === undefined || v === null ? "–" : v.toFixed(digits ?? (v < 10 ? 1 : 0));
console.log(
  "| build | codec | level | ratio | compress MB/s | decompress MB/s | ratio, 1 KiB | compress µs, 1 KiB | decompress µs, 1 KiB |",
);
console.log("| --- | --- | --: | --: | --: | --: | --: | --: | --: |");
for (const [build, algorithm, level] of rows) {
  const big = find(build, algorithm, level, "1 MiB");
  const small = find(build, algorithm, level, "1 KiB");
  if (big === undefined || small === undefined) continue;
  console.log(
    `| ${build} | ${algorithm} | ${level} | ${n(big.ratio, 2)} | ${n(big.compressMBps)} | ${n(big.decompressMBps)} | ${n(small.ratio, 2)} | ${n(small.compressUs)} | ${n(small.decompressUs)} |`,
  );
}
console.log(`\nNode ${data.node}, ${data.cpu} (${data.cores} cores), ${data.date.slice(0, 10)}`);
