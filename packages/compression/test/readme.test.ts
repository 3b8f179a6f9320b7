// Runs the README's first example as written, so that it stays true.
import { readFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as build from "../src/node/index.js";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const example = /```ts\n([\s\S]*?)```/.exec(readme)![1]!;

test("the README example runs and prints what it says", async () => {
  const imports = /^import \{([^}]+)\} from "@connect-ts\/compression";\n/m.exec(example);
  assert.ok(imports, "the example imports from the package");
  const names = imports![1]!.split(",").map((n) => n.trim());
  const body = example.replace(imports![0], "");
  const lines: string[] = [];
  const console = { log: (...args: unknown[]) => lines.push(args.join(" ")) };
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
    ...args: string[]
  ) => (...values: unknown[]) => Promise<void>;
  const run = new AsyncFunction("console", ...names, body);
  await run(console, ...names.map((n) => (build as Record<string, unknown>)[n]));
  assert.match(lines[0]!, /^zstd: 6200 -> \d+ bytes, intact: true$/);
  assert.is(
    lines[1],
    "[resource_exhausted] gzip: decompressed message is larger than the limit of 1048576 bytes",
  );
  assert.is(lines[2], "true");
});

test.run();
