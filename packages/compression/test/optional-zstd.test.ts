// With @mongodb-js/zstd missing (and no zstd in node:zlib), the package still
// loads, gzip and brotli work, zstd decodes in pure JavaScript and refuses to
// encode with unimplemented.
import { spawnSync } from "node:child_process";
import zlib from "node:zlib";
import { Code } from "@connect-ts/protocol";
import { test } from "uvu";
import * as assert from "uvu/assert";

const hasZlibZstd = typeof (zlib as { zstdCompress?: unknown }).zstdCompress === "function";

test("without the optional native zstd, only zstd compression is missing", () => {
  const child = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      "--import",
      new URL("./helpers/without-native-zstd.mjs", import.meta.url).href,
      new URL("./helpers/without-native-zstd-child.ts", import.meta.url).pathname,
    ],
    { encoding: "utf8", timeout: 30_000 },
  );
  assert.is(child.status, 0, child.stderr);
  const report = JSON.parse(child.stdout.trim().split("\n").pop()!);
  assert.is(report.gzip, 3700);
  assert.is(report.brotli, 3700);
  assert.is(report.zstdDecompress, "hello");
  if (hasZlibZstd) {
    assert.is(report.zstdCompress, "ok");
  } else {
    assert.is(report.zstdCompress.code, Code.Unimplemented);
    assert.match(report.zstdCompress.message, "@mongodb-js/zstd");
  }
});

test.run();
