// Runs the README's example as a test file of its own (its import of this
// package mapped to the sources), and checks that both its tests pass.
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];

test("the README example passes as a test file", () => {
  assert.ok(example, "no TypeScript example in the README");
  const file = new URL(`./readme-example-${process.pid}.generated.ts`, import.meta.url);
  writeFileSync(file, example.replace('from "@connect-ts/test-support"', 'from "../src/index.js"'));
  try {
    const run = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(file)], {
      encoding: "utf8",
      env: { ...process.env, FORCE_COLOR: "0" },
      timeout: 20_000,
    });
    assert.is(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /Total:\s+2\n/);
    assert.match(run.stdout, /Passed:\s+2\n/);
  } finally {
    rmSync(file, { force: true });
  }
});

test.run();
