import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);

/** The codegen package's root folder. */
export const packageDir = fileURLToPath(new URL("../..", import.meta.url));

/** Runs a program to completion; rejects with its stderr if it fails. */
export function run(
  file: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { cwd: options.cwd, env: options.env ?? process.env, timeout: options.timeoutMs ?? 60_000 },
      (error, stdout, stderr) => {
        if (error) {
          reject(
            new Error(`${file} ${args.join(" ")} failed: ${error.message}\n${stdout}\n${stderr}`),
          );
        } else {
          resolve({ stdout, stderr });
        }
      },
    );
  });
}

/**
 * The environment buf needs to find the two local plugins: protoc-gen-es from
 * its package, and protoc-gen-connect-ts from this package's bin folder (so
 * the code under test is what runs, not an installed copy).
 */
export function pluginEnv(): NodeJS.ProcessEnv {
  const esBin = join(dirname(require.resolve("@bufbuild/protoc-gen-es/package.json")), "bin");
  const ownBin = join(packageDir, "bin");
  return { ...process.env, PATH: [ownBin, esBin, process.env.PATH ?? ""].join(delimiter) };
}

/** The buf CLI that `@bufbuild/buf` installs. */
export const bufBin = join(dirname(require.resolve("@bufbuild/buf/package.json")), "bin", "buf");

/** Runs `buf generate` with the template in `cwd`, writing below `out`. */
export async function bufGenerate(
  cwd: string,
  out: string,
  template = "buf.gen.yaml",
): Promise<void> {
  await run(bufBin, ["generate", "--template", template, "--output", out], {
    cwd,
    env: pluginEnv(),
  });
}

/** Makes a fresh temporary folder; `dispose` removes it. */
export async function tempDir(): Promise<{ path: string; dispose(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), "connect-ts-codegen-"));
  return { path, dispose: () => rm(path, { recursive: true, force: true }) };
}

/** Every file below `root`, as sorted relative paths mapped to their contents. */
export async function readTree(root: string): Promise<Map<string, string>> {
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
