// The project's test line: builds everything, runs every workspace's tests and
// the conformance matrix through turbo, then adds up the totals each task
// recorded and ends with "N passed, N failed".
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" };
const skipConformance = process.argv.includes("--no-conformance");
const skipLts = process.argv.includes("--no-lts");

/** The newest Node LTS, whose built-ins differ from this Node's where it matters. */
const ltsMajor = 24;
/**
 * Suites run a second time on that Node: compression (node:zlib has zstd from
 * 22.15, so a different decoder runs) and the HTTP/2 server and transport
 * (they lean on node:http2's behaviour). They record
 * `.test-results-node<major>.json`.
 */
const ltsSuites = ["packages/compression", "packages/server", "packages/transport-http2"];

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
  if (!skipLts) status |= testOnLts();
  if (!skipConformance) status |= run(["run", "conformance", "--continue", "--concurrency=1"]);
}

/** Installs node@<ltsMajor> from npm into .node-lts/ when missing; returns its binary. */
function ltsNode() {
  const dir = join(root, ".node-lts");
  const binary = join(dir, "node_modules", "node", "bin", "node");
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), '{ "name": "node-lts", "private": true }\n');
  console.log(`\n$ npm install node@${ltsMajor} (into .node-lts/)`);
  const r = spawnSync(
    "npm",
    ["install", "--no-audit", "--no-fund", "--no-package-lock", `node@${ltsMajor}`],
    { cwd: dir, env, stdio: "inherit" },
  );
  return r.status === 0 && existsSync(binary) ? binary : undefined;
}

function testOnLts() {
  const node = ltsNode();
  const resultsName = `.test-results-node${ltsMajor}.json`;
  if (node === undefined) {
    console.error(`could not install node@${ltsMajor}: its test pass counts as failed`);
    writeFileSync(join(root, resultsName), JSON.stringify({ passed: 0, failed: 1 }));
    return 1;
  }
  let status = 0;
  for (const suite of ltsSuites) {
    const version = spawnSync(node, ["--version"], { encoding: "utf8" }).stdout.trim();
    console.log(`\n$ (${suite}) node ${version} ../../scripts/run-tests.mjs`);
    const r = spawnSync(node, [join(root, "scripts/run-tests.mjs")], {
      cwd: join(root, suite),
      env: { ...env, TEST_RESULTS_FILE: resultsName },
      stdio: "inherit",
    });
    status |= r.status ?? 1;
  }
  return status;
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
