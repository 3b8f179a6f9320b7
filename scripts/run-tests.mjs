// Runs a package's uvu tests (TypeScript through tsx) and records the totals in
// .test-results.json so the root summary can add them up.
import { spawn } from "node:child_process";
import { writeFileSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

// uvu's exports map hides its bin, so point at it where npm workspaces hoist it.
const uvuBin = fileURLToPath(new URL("../node_modules/uvu/bin.js", import.meta.url));
const dir = process.argv[2] ?? "test";
// Where the totals go; a second run of the same suite (on another Node) names its own.
const resultsFile = process.env.TEST_RESULTS_FILE ?? ".test-results.json";
const pattern = process.argv[3] ?? "\\.test\\.ts$";
if (!existsSync(dir)) {
  console.error(`no ${dir}/ folder in ${process.cwd()}`);
  writeFileSync(resultsFile, JSON.stringify({ passed: 0, failed: 1 }));
  process.exit(1);
}
const safeFormat = fileURLToPath(new URL("./uvu-safe-format.mjs", import.meta.url));
const child = spawn(
  process.execPath,
  ["--import", safeFormat, "--import", "tsx", uvuBin, dir, pattern],
  {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, FORCE_COLOR: "0" },
  },
);
let out = "";
child.stdout.on("data", (chunk) => {
  out += chunk;
  process.stdout.write(chunk);
});
child.on("close", (code) => {
  const plain = out.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g"), "");
  const num = (label) => {
    const m = plain.match(new RegExp(`${label}:\\s+(\\d+)`));
    return m ? Number(m[1]) : 0;
  };
  const total = num("Total");
  const passed = num("Passed");
  let failed = total - passed - num("Skipped");
  // A crash before the summary, or a run that never printed one, still counts.
  const summarised = /Total:\s+\d+/.test(plain);
  if ((code !== 0 || !summarised) && failed === 0) failed = 1;
  writeFileSync(resultsFile, JSON.stringify({ passed, failed, skipped: num("Skipped") }));
  process.exit(code === 0 && summarised ? 0 : code || 1);
});
