#!/usr/bin/env node
// Runs the conformance runner in one mode against this package's program:
//   node scripts/run-runner.mjs client|server [runner flags, e.g. --run <pattern> --trace -v]
// Prints the runner's report, ends with its totals, and records them in
// .test-results-<mode>.json for the project's test line.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { packageDir, runnerPath } from "./runner.mjs";

const mode = process.argv[2];
if (mode !== "client" && mode !== "server") {
  console.error("usage: run-runner.mjs client|server [runner flags]");
  process.exit(2);
}
const extra = process.argv.slice(3);
const resultsFile = join(packageDir, `.test-results-${mode}.json`);

function record(passed, failed) {
  writeFileSync(resultsFile, JSON.stringify({ passed, failed }));
}

const install = spawnSync(process.execPath, [join(packageDir, "scripts/install-runner.mjs")], {
  stdio: "inherit",
});
if (install.status !== 0) {
  record(0, 1);
  process.exit(1);
}
const program = join(packageDir, "bin", mode);
if (!existsSync(join(packageDir, "dist/src", `${mode}.js`))) {
  console.error(`${program} is not built yet: run the build first`);
  record(0, 1);
  process.exit(1);
}

const args = [
  "--mode",
  mode,
  "--conf",
  join(packageDir, "config", `${mode}.yaml`),
  // Sized for a 2-core machine: the cases that measure deadlines need the
  // processes under test to get CPU time when they expect it.
  ...(mode === "client" ? ["--max-servers", "2"] : ["--parallel", "4"]),
];
// Lists of case patterns, one a line, each under a comment saying why:
// known-failing-<mode>.txt cases must fail; known-flaky-<mode>.txt cases may
// fail (for races inside the runner's own peers); skip-<mode>.txt cases are
// not run at all (only for cases that hang the runner, which a failure list
// cannot contain). Absent or empty lists are left out.
for (const [flag, file] of [
  ["--known-failing", `known-failing-${mode}.txt`],
  ["--known-flaky", `known-flaky-${mode}.txt`],
  ["--skip", `skip-${mode}.txt`],
]) {
  const path = join(packageDir, "config", file);
  if (existsSync(path) && /^[^#\s]/m.test(readFileSync(path, "utf8"))) {
    args.push(flag, `@${path}`);
  }
}
args.push(...extra, "--", program);

console.log(`$ connectconformance ${args.map((a) => a.replace(packageDir, "")).join(" ")}`);
const child = spawn(runnerPath, args, { cwd: packageDir, stdio: ["ignore", "pipe", "pipe"] });
// A case that never ends keeps the runner waiting forever; stop it instead,
// so that a hang is a failure of this task and not a stuck build.
const watchdogMs = Number(process.env.CONFORMANCE_TIMEOUT_MS ?? 15 * 60 * 1000);
let timedOut = false;
const watchdog = setTimeout(() => {
  timedOut = true;
  console.error(`\n${mode} mode: no result after ${watchdogMs} ms, stopping the runner`);
  child.kill("SIGTERM");
}, watchdogMs);
let output = "";
for (const stream of [child.stdout, child.stderr]) {
  stream.on("data", (chunk) => {
    output += chunk;
    (stream === child.stdout ? process.stdout : process.stderr).write(chunk);
  });
}
child.on("close", (code, signal) => {
  clearTimeout(watchdog);
  const total = /Total cases: (\d+)\s+(\d+) passed, (\d+) failed/.exec(output);
  const notRun = /Another (\d+) could not be run/.exec(output);
  const flaky = /Another (\d+) failed as expected/.exec(output);
  if (total === null) {
    const why = timedOut ? "was stopped by the watchdog" : `ended (${signal ?? code})`;
    console.error(`\n${mode} mode: the runner ${why} without totals`);
    record(0, 1);
    process.exit(1);
  }
  const [, cases, passed, failed] = total.map(Number);
  const failedAll = failed + (notRun === null ? 0 : Number(notRun[1]));
  record(passed, failedAll);
  // A listed flaky case that failed counts as neither passed nor failed.
  const excused = flaky === null ? "" : `, known-flaky cases that failed: ${flaky[1]}`;
  console.log(
    `\nconformance ${mode}: Total cases: ${cases}, passed: ${passed}, failed: ${failedAll}${excused}`,
  );
  process.exit(code === 0 && failedAll === 0 ? 0 : 1);
});
