#!/usr/bin/env node
// Generates TypeScript for the conformance suite's .proto files into gen/.
// The files come from the runner's Go module at the pinned version (fetched
// into the module cache when missing), so no copy of them is kept in git.
import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { delimiter, join } from "node:path";
import { packageDir, runnerModule, runnerVersion } from "./runner.mjs";

/** Runs a command, failing the build with its output when it fails. */
function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", ...options });
  if (r.error) {
    console.error(`cannot run ${cmd}: ${r.error.message}`);
    process.exit(1);
  }
  if (r.status !== 0) {
    console.error(
      `${cmd} ${args.join(" ")} failed (${r.status})\n${r.stdout ?? ""}${r.stderr ?? ""}`,
    );
    process.exit(r.status ?? 1);
  }
  return r.stdout;
}

// `go mod download -json` fetches the module if needed and tells where it is.
const info = JSON.parse(
  run("go", ["mod", "download", "-json", `${runnerModule}@${runnerVersion}`], { cwd: packageDir }),
);
const protoDir = join(info.Dir, "proto");
if (!existsSync(join(protoDir, "connectrpc/conformance/v1/service.proto"))) {
  console.error(`no conformance .proto files under ${protoDir}`);
  process.exit(1);
}

// The plugins are local: protoc-gen-es from the workspace's node_modules, and
// protoc-gen-connect-ts from packages/codegen (see buf.gen.yaml).
const binDirs = [
  join(packageDir, "node_modules/.bin"),
  join(packageDir, "../node_modules/.bin"),
  join(packageDir, "../packages/codegen/bin"),
];
const env = { ...process.env, PATH: [...binDirs, process.env.PATH].join(delimiter) };

rmSync(join(packageDir, "gen"), { recursive: true, force: true });
run("npx", ["buf", "generate", protoDir, "--template", "buf.gen.yaml"], {
  cwd: packageDir,
  env,
  stdio: ["ignore", "inherit", "inherit"],
});
