import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";

const require = createRequire(import.meta.url);
const exampleDir = fileURLToPath(new URL("..", import.meta.url));

async function readTree(root: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        await walk(path);
      } else {
        files.set(relative(root, path).split("\\").join("/"), await readFile(path, "utf8"));
      }
    }
  };
  await walk(root);
  return new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

test("regenerating src/gen from the proto gives exactly what is checked in", async () => {
  // The same local plugins `npm run generate` finds in node_modules/.bin.
  const esBin = join(dirname(require.resolve("@bufbuild/protoc-gen-es/package.json")), "bin");
  const connectBin = join(dirname(require.resolve("@connect-ts/codegen/package.json")), "bin");
  const bufBin = join(dirname(require.resolve("@bufbuild/buf/package.json")), "bin", "buf");
  const out = await mkdtemp(join(tmpdir(), "eliza-gen-"));
  try {
    await new Promise<void>((resolve, reject) => {
      execFile(
        bufBin,
        ["generate", "--output", out],
        {
          cwd: exampleDir,
          timeout: 60_000,
          env: { ...process.env, PATH: [connectBin, esBin, process.env.PATH].join(delimiter) },
        },
        (error, _stdout, stderr) =>
          error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(),
      );
    });
    const fresh = await readTree(join(out, "src", "gen"));
    const checkedIn = await readTree(join(exampleDir, "src", "gen"));
    assert.equal([...fresh.keys()], [...checkedIn.keys()]);
    assert.ok(fresh.has("eliza/v1/eliza_connect.ts"));
    for (const [name, content] of fresh) {
      assert.fixture(checkedIn.get(name)!, content, `${name} is stale: run npm run generate`);
    }
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

test.run();
