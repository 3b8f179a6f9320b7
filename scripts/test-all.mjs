// The project's test line: builds everything, runs every workspace's tests and
// the conformance matrix through turbo, then adds up the totals each task
// recorded and ends with "N passed, N failed".
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" };
const skipConformance = process.argv.includes("--no-conformance");

/** Workspace folders that may record results. */
function workspaces() {
  const dirs = [];
  for (const group of ["packages", "examples"]) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base)) dirs.push(join(base, name));
  }
  dirs.push(join(root, "conformance"), join(root, "bench"), root);
  return dirs;
}

/** Result files a task leaves: `.test-results.json`, `.test-results-<mode>.json`. */
function resultFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /^\.test-results(-[\w-]+)?\.json$/.test(f))
    .map((f) => join(dir, f));
}

for (const dir of workspaces()) for (const f of resultFiles(dir)) rmSync(f);

function run(args) {
  console.log(`\n$ turbo ${args.join(" ")}`);
  const r = spawnSync("npx", ["turbo", ...args], { cwd: root, env, stdio: "inherit" });
  return r.status ?? 1;
}

// Lint and format check of the whole tree (Biome honours .gitignore), counted
// as one check so a lint failure shows in the totals like a failed test.
console.log("\n$ biome check .");
const lint = spawnSync("npx", ["biome", "check", "."], { cwd: root, env, stdio: "inherit" });
const lintOk = lint.status === 0;
writeFileSync(
  join(root, ".test-results-lint.json"),
  JSON.stringify({ passed: lintOk ? 1 : 0, failed: lintOk ? 0 : 1 }),
);

const buildStatus = run(["run", "build", "--output-logs=errors-only"]);
let status = buildStatus | (lintOk ? 0 : 1);
if (buildStatus === 0) {
  // One task at a time: the suites open real sockets and measure deadlines, and
  // a 2-core machine running them side by side would make them flaky.
  status |= run(["run", "test", "--continue", "--concurrency=1", "--output-logs=full"]);
  if (!skipConformance) status |= run(["run", "conformance", "--continue", "--concurrency=1"]);
}

let passed = 0;
let failed = 0;
const rows = [];
for (const dir of workspaces()) {
  for (const file of resultFiles(dir)) {
    const r = JSON.parse(readFileSync(file, "utf8"));
    passed += r.passed;
    failed += r.failed;
    rows.push(
      `${file.slice(root.length).padEnd(56)} ${String(r.passed).padStart(5)} passed ${String(r.failed).padStart(4)} failed`,
    );
  }
}
console.log("\nTotals by task:");
for (const row of rows) console.log(`  ${row}`);
if (status !== 0 && failed === 0) failed = 1; // a build or task that died without recording results
console.log(`${passed} passed, ${failed} failed`);
process.exit(status !== 0 || failed > 0 ? 1 : 0);
