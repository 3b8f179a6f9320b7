import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { packageDir } from "./support/buf-generate.js";

// The README shows the example's buf.gen.yaml; this keeps the two the same, so
// the snippet is one that demonstrably works (the example's drift test runs it).
test("the README's buf.gen.yaml is the example's", async () => {
  const readme = await readFile(join(packageDir, "README.md"), "utf8");
  const template = await readFile(
    join(packageDir, "..", "..", "examples", "eliza", "buf.gen.yaml"),
    "utf8",
  );
  const body = template
    .split("\n")
    .filter((line) => !line.startsWith("#"))
    .join("\n")
    .trim();
  assert.ok(
    readme.includes("```yaml\n" + body + "\n```"),
    "README snippet differs from the example",
  );
});

test("the README's protoc command names both plugins with the same options", async () => {
  const readme = await readFile(join(packageDir, "README.md"), "utf8");
  assert.match(readme, "--es_opt=target=ts,import_extension=js");
  assert.match(readme, "--connect-ts_opt=target=ts,import_extension=js");
});

test.run();
