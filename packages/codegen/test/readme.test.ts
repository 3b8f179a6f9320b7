import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { packageDir } from "./support/buf-generate.js";

// Both READMEs show the example's buf.gen.yaml; this keeps them the same, so
// the snippet is one that demonstrably works (the example's drift test runs it).
test("the READMEs' buf.gen.yaml is the example's", async () => {
  const exampleDir = join(packageDir, "..", "..", "examples", "eliza");
  const template = await readFile(join(exampleDir, "buf.gen.yaml"), "utf8");
  const body = template
    .split("\n")
    .filter((line) => !line.startsWith("#"))
    .join("\n")
    .trim();
  for (const path of [join(packageDir, "README.md"), join(exampleDir, "README.md")]) {
    const readme = await readFile(path, "utf8");
    assert.ok(readme.includes("```yaml\n" + body + "\n```"), `${path}: snippet differs`);
  }
});

test("the README's protoc command names both plugins with the same options", async () => {
  const readme = await readFile(join(packageDir, "README.md"), "utf8");
  assert.match(readme, "--es_opt=target=ts,import_extension=js");
  assert.match(readme, "--connect-ts_opt=target=ts,import_extension=js");
});

test.run();
