#!/usr/bin/env node
// Installs the pinned conformance runner into .bin/ unless that exact version
// is there already. Needs Go 1.24 or newer.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { runnerBinDir, runnerModule, runnerPath, runnerVersion } from "./runner.mjs";

/** The version the installed binary reports, or undefined when there is none. */
function installedVersion() {
  if (!existsSync(runnerPath)) return undefined;
  const r = spawnSync(runnerPath, ["--version"], { encoding: "utf8" });
  if (r.status !== 0) return undefined;
  // Prints e.g. "connectconformance v1.0.5".
  return r.stdout.trim().split(/\s+/).pop();
}

const have = installedVersion();
if (have === runnerVersion) {
  process.exit(0);
}
console.error(
  have === undefined
    ? `installing ${runnerModule} ${runnerVersion}`
    : `replacing runner ${have} with ${runnerVersion}`,
);
const r = spawnSync("go", ["install", `${runnerModule}/cmd/connectconformance@${runnerVersion}`], {
  stdio: "inherit",
  env: { ...process.env, GOBIN: runnerBinDir },
});
if (r.error) {
  console.error(`cannot run go: ${r.error.message}`);
  process.exit(1);
}
if (r.status !== 0) {
  console.error(`go install failed with status ${r.status}`);
  process.exit(r.status ?? 1);
}
const now = installedVersion();
if (now !== runnerVersion) {
  console.error(`installed runner reports ${now ?? "nothing"}, expected ${runnerVersion}`);
  process.exit(1);
}
