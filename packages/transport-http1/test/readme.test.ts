// Runs the README's example as written (its import of this package mapped to
// the sources), and checks that it prints what its comments say.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { assertNoLeaks, resourceBaseline } from "./helpers/leaks.js";
import { sleep } from "./helpers/util.js";

const baseline = resourceBaseline();
const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const example = blocks.find((block) => block.includes("// prints:"))!;

test("the README example runs and prints what it says", async () => {
  assert.ok(example, "no example with `// prints:` lines");
  const file = new URL(`./readme-example-${process.pid}.generated.ts`, import.meta.url);
  writeFileSync(
    file,
    example.replace('from "@connect-ts/transport-http1"', 'from "../src/index.js"'),
  );
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => lines.push(args.join(" "));
  try {
    await import(file.href);
  } finally {
    console.log = log;
    rmSync(file);
  }
  const expected = [...example.matchAll(/^\/\/ prints: (.*)$/gm)].map((m) => m[1]);
  assert.equal(lines, expected);
});

test("the example leaves nothing open", async () => {
  await sleep(10);
  await assertNoLeaks(baseline);
});

test.run();
