import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { pinning } from "./child.js";
import { clientUnary } from "./client-unary.js";
import { compression } from "./compression.js";
import { type BenchConfig, SECTIONS } from "./config.js";
import type { RunContext } from "./context.js";
import { ensureLoadTools } from "./load-tools.js";
import { memory } from "./memory.js";
import { benchDir } from "./paths.js";
import { Report } from "./report.js";
import { serverUnary } from "./server-unary.js";
import { sharedCore } from "./shared-core.js";
import { streaming } from "./streaming.js";
import { renderMarkdown, renderTable } from "./table.js";

const sections: Record<string, (ctx: RunContext) => Promise<void>> = {
  "server-unary": serverUnary,
  "client-unary": clientUnary,
  streaming,
  "shared-core": sharedCore,
  memory,
  compression,
};

function gitCommit(): string | undefined {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: benchDir,
      encoding: "utf8",
    }).trim();
  } catch {
    return undefined;
  }
}

/** What a run on one Node version produced. */
export interface RunResult {
  readonly table: string;
  readonly errors: readonly string[];
  readonly jsonFile: string;
}

/**
 * Runs every section on this process's Node version, prints the table and
 * writes the JSON (`results/<node-version>.json`, or `.quick.json` for quick runs).
 */
export async function runOnThisNode(config: BenchConfig): Promise<RunResult> {
  const log = (line: string) => process.stderr.write(`[bench ${process.version}] ${line}\n`);
  const missing = await ensureLoadTools(log);
  if (missing.length > 0) log(`missing ${missing.join(", ")}: their server cases will fail`);
  mkdirSync(join(benchDir, ".tmp"), { recursive: true });
  const scratch = mkdtempSync(join(benchDir, ".tmp", "run-"));
  const report = new Report(log);
  const ctx: RunContext = { config, report, pin: pinning(), scratch };
  log(
    `pinning: ${ctx.pin.server === undefined ? "none" : `servers on core ${ctx.pin.server}, load on core ${ctx.pin.load}`}`,
  );
  const started = Date.now();
  try {
    for (const name of SECTIONS) {
      if (config.sections.length > 0 && !config.sections.includes(name)) continue;
      const section = sections[name]!;
      try {
        await section(ctx);
      } catch (error) {
        report.errors.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const table = renderTable(report.rows);
  const resultsDir = join(benchDir, "results");
  mkdirSync(resultsDir, { recursive: true });
  const jsonFile = join(resultsDir, `${process.version}${config.quick ? ".quick" : ""}.json`);
  const result = {
    node: process.version,
    v8: process.versions.v8,
    date: new Date().toISOString(),
    commit: gitCommit(),
    seconds: Math.round((Date.now() - started) / 1000),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      platform: `${process.platform}-${process.arch}`,
    },
    pinning: ctx.pin,
    config: { ...config, cpuProfileDir: undefined },
    rows: report.rows,
    errors: report.errors,
  };
  writeFileSync(jsonFile, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(jsonFile.replace(/\.json$/, ".md"), `${renderMarkdown(report.rows)}\n`);
  return { table, errors: report.errors, jsonFile };
}
