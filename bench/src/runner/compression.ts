import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { RunContext } from "./context.js";
import { benchDir } from "./paths.js";

/** Entry points the compression benchmark may have, tried in order. */
const ENTRIES = ["run.ts", "main.ts", "index.ts", "run.mjs", "main.mjs", "index.mjs"];

/**
 * The compression benchmark lives in `compression/` beside this runner and
 * is written separately; when it exists, it runs here as one section, in its
 * own process on the load core, with its output passed through.
 */
export async function compression(ctx: RunContext): Promise<void> {
  const dir = join(benchDir, "compression");
  const entry = ENTRIES.map((name) => join(dir, name)).find((path) => existsSync(path));
  if (entry === undefined) {
    ctx.report.log("compression: no compression benchmark here yet, skipped");
    return;
  }
  ctx.report.log(`compression: running ${entry.slice(benchDir.length)}`);
  const args = entry.endsWith(".ts") ? ["--import", "tsx", entry] : [entry];
  if (ctx.config.quick) args.push("--quick");
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: benchDir,
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...process.env, BENCH_QUICK: ctx.config.quick ? "1" : "" },
    });
    child.on("exit", (c) => resolve(c));
    child.on("error", () => resolve(null));
  });
  if (code !== 0) ctx.report.errors.push(`compression benchmark exited with ${code}`);
}
