#!/usr/bin/env node
// `npm run conformance`: both modes, then their totals. Under turbo the two
// modes already ran as tasks of their own (conformance:client and
// conformance:server, which this task depends on), so only the totals are
// printed here.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { packageDir } from "./runner.mjs";

const modes = ["client", "server"];
let status = 0;
if (process.env.TURBO_HASH === undefined) {
  for (const mode of modes) {
    const r = spawnSync(process.execPath, [join(packageDir, "scripts/run-runner.mjs"), mode], {
      stdio: "inherit",
    });
    status |= r.status ?? 1;
  }
}
console.log("\nconformance totals:");
for (const mode of modes) {
  const file = join(packageDir, `.test-results-${mode}.json`);
  if (!existsSync(file)) {
    console.log(`  ${mode.padEnd(6)}  not run`);
    status = 1;
    continue;
  }
  const { passed, failed } = JSON.parse(readFileSync(file, "utf8"));
  console.log(`  ${mode.padEnd(6)}  ${passed} passed, ${failed} failed`);
  if (failed > 0) status = 1;
}
process.exit(status);
