/**
 * `npm run bench`: runs the benchmarks on this Node, then on the newest Node
 * LTS (installed from npm into `.node-lts/` on first use), and prints one
 * table per Node version.
 *
 * Flags: `--quick` (short rounds, for smoke runs), `--skip-lts` (this Node
 * only; also `BENCH_SKIP_LTS=1`). `BENCH_NODE_LTS` picks the LTS major (24).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { benchConfig, SECTIONS } from "./runner/config.js";
import { benchDir } from "./runner/paths.js";
import { runOnThisNode } from "./runner/run.js";

const args = new Set(process.argv.slice(2));
const quick = args.has("--quick");
const thisNodeOnly = args.has("--this-node-only");
const skipLts = thisNodeOnly || args.has("--skip-lts") || Boolean(process.env.BENCH_SKIP_LTS);
const ltsMajor = process.env.BENCH_NODE_LTS ?? "24";

/**
 * The environment of the LTS run. The compression benchmark measures codecs,
 * not the RPC stack, and takes minutes: it runs once, on the first Node,
 * unless `BENCH_SECTIONS` asks for it explicitly.
 */
function ltsEnv(): NodeJS.ProcessEnv {
  if (process.env.BENCH_SECTIONS) return process.env;
  const sections = SECTIONS.filter((s) => s !== "compression").join(",");
  return { ...process.env, BENCH_SECTIONS: sections };
}

function exec(
  command: string,
  argv: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(command, argv, { cwd, env, stdio: ["ignore", "inherit", "inherit"] });
    child.on("exit", (code) => resolve(code));
    child.on("error", () => resolve(null));
  });
}

/** The LTS Node binary, installed from npm into `.node-lts/` when missing. */
async function ltsNode(): Promise<string | undefined> {
  const dir = join(benchDir, ".node-lts");
  const binary = join(dir, "node_modules", ".bin", "node");
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), '{ "name": "bench-node-lts", "private": true }\n');
  process.stderr.write(`[bench] installing node@${ltsMajor} from npm into .node-lts/\n`);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const code = await exec(
    npm,
    ["install", "--no-audit", "--no-fund", "--no-package-lock", `node@${ltsMajor}`],
    dir,
  );
  return code === 0 && existsSync(binary) ? binary : undefined;
}

async function main(): Promise<number> {
  const config = benchConfig(quick);
  const result = await runOnThisNode(config);
  process.stdout.write(
    `\nNode ${process.version}${quick ? " (quick run)" : ""}\n${result.table}\n`,
  );
  process.stdout.write(`results: ${result.jsonFile.slice(benchDir.length)}\n`);
  if (result.errors.length > 0) {
    process.stdout.write(`\nerrors:\n${result.errors.map((e) => `  ${e}`).join("\n")}\n`);
  }
  let failed = result.errors.length > 0;
  if (!skipLts) {
    const binary = await ltsNode();
    if (binary === undefined) {
      process.stderr.write(`[bench] could not install node@${ltsMajor}; skipped the LTS run\n`);
      failed = true;
    } else {
      const argv = [join(benchDir, "dist", "src", "cli.js"), "--this-node-only"];
      if (quick) argv.push("--quick");
      const code = await exec(binary, argv, benchDir, ltsEnv());
      if (code !== 0) failed = true;
    }
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
