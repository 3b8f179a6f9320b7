import { readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { packageDir } from "./support/buf-generate.js";

const require = createRequire(import.meta.url);
const tscBin = join(dirname(require.resolve("typescript/package.json")), "bin", "tsc");
const typesDir = join(packageDir, "test", "types");

/** Runs tsc on a project; resolves with its exit code and the diagnostics it printed. */
async function tsc(project: string): Promise<{ code: number; out: string }> {
  const { execFile } = await import("node:child_process");
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [tscBin, "-p", project, "--pretty", "false"],
      { cwd: packageDir, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
        resolve({ code, out: stdout + stderr });
      },
    );
  });
}

test("the goldens and a file using every generated member compile under --strict", async () => {
  const config = JSON.parse(await readFile(join(typesDir, "tsconfig.json"), "utf8"));
  assert.is(config.compilerOptions.strict, true);
  assert.is(config.compilerOptions.noImplicitAny, true);
  const { code, out } = await tsc(join(typesDir, "tsconfig.json"));
  assert.is(out.trim(), "", "no diagnostics");
  assert.is(code, 0);
});

test("the generated code also compiles under the strictest options a project may set", async () => {
  // exactOptionalPropertyTypes, noUncheckedIndexedAccess, isolatedDeclarations and more:
  // the generated files are compiled with the user's settings, whatever they are.
  const { code, out } = await tsc(join(typesDir, "tsconfig.strictest.json"));
  assert.is(out.trim(), "", "no diagnostics");
  assert.is(code, 0);
});

test("each misuse marked @ts-expect-error is a compile error, and nothing else is", async () => {
  const usage = await readFile(join(typesDir, "usage.ts"), "utf8");
  const lines = usage.split("\n");
  // The lines that must fail: the ones right after a directive (1-based).
  const expected = new Set<number>();
  lines.forEach((line, i) => {
    if (line.includes("// @ts-expect-error")) {
      expected.add(i + 2);
    }
  });
  assert.ok(expected.size >= 8, "the usage file has its misuse cases");
  // The same file with the directives disarmed, line numbers unchanged.
  const unchecked = lines
    .map((l) => l.replace("// @ts-expect-error", "// expect error:"))
    .join("\n");
  const file = join(typesDir, ".unchecked-usage.ts");
  const project = join(typesDir, ".unchecked-tsconfig.json");
  try {
    await writeFile(file, unchecked);
    await writeFile(
      project,
      JSON.stringify({ extends: "./tsconfig.json", include: [".unchecked-usage.ts"] }),
    );
    const { code, out } = await tsc(project);
    assert.is.not(code, 0, "tsc must reject the misuse");
    const failing = new Set<number>();
    for (const m of out.matchAll(/\.unchecked-usage\.ts\((\d+),\d+\): error TS\d+/g)) {
      failing.add(Number(m[1]));
    }
    assert.equal(
      [...failing].sort((a, b) => a - b),
      [...expected].sort((a, b) => a - b),
      out,
    );
    // No error anywhere but in the usage file: the generated code itself is sound.
    assert.not.match(out, /_connect\.(ts|d\.ts)\(/);
  } finally {
    await rm(file, { force: true });
    await rm(project, { force: true });
  }
});

test.run();
