import { spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { availableParallelism } from "node:os";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { ChildHandle } from "../child/ipc.js";

// Under tests the sources run through tsx; in a bench run, the compiled files.
const fromSource = import.meta.url.endsWith(".ts");
const childMain = fileURLToPath(
  new URL(`../child/child-main.${fromSource ? "ts" : "js"}`, import.meta.url),
);

/** The cores servers and load generators run on: apart when the machine allows. */
export interface Pinning {
  readonly server: number | undefined;
  readonly load: number | undefined;
}

/**
 * Pins servers to core 0 and load generators to core 1 when `taskset`
 * exists and there are two cores or more (and `BENCH_NO_PIN` is not set).
 */
export function pinning(): Pinning {
  const haveTaskset = ["/usr/bin/taskset", "/bin/taskset"].some((p) => existsSync(p));
  if (!haveTaskset || availableParallelism() < 2 || process.env.BENCH_NO_PIN) {
    return { server: undefined, load: undefined };
  }
  return { server: 0, load: 1 };
}

/** The command line, prefixed with `taskset` when `cpu` is set. */
export function pinned(
  cpu: number | undefined,
  command: string,
  args: string[],
): [string, string[]] {
  return cpu === undefined ? [command, args] : ["taskset", ["-c", String(cpu), command, ...args]];
}

/** Options of a child process. */
export interface ChildOptions {
  readonly cpu: number | undefined;
  /** Write a CPU profile into this folder when the child exits. */
  readonly cpuProfileDir?: string | undefined;
  /** A name for the profile file. */
  readonly label?: string;
}

/**
 * Starts a benchmark child (server or load generator) on the same Node binary
 * as this process, with `--expose-gc` so memory is read after collection.
 */
export function startChild(options: ChildOptions): ChildHandle {
  const nodeArgs = fromSource ? ["--expose-gc", "--import", "tsx"] : ["--expose-gc"];
  if (options.cpuProfileDir !== undefined) {
    mkdirSync(options.cpuProfileDir, { recursive: true });
    nodeArgs.push(
      "--cpu-prof",
      `--cpu-prof-dir=${options.cpuProfileDir}`,
      `--cpu-prof-name=${(options.label ?? "child").replace(/[^\w.-]+/g, "_")}.cpuprofile`,
    );
  }
  const [command, args] = pinned(options.cpu, process.execPath, [...nodeArgs, childMain]);
  const child = spawn(command, args, { stdio: ["ignore", "inherit", "pipe", "ipc"] });
  forwardCapped(child.stderr, options.label ?? "child");
  return new ChildHandle(child);
}

/** Lines of a child's stderr shown before the rest is only counted. */
const STDERR_LINES = 12;

/**
 * Passes a child's stderr through, capped: a peer that logs every reset
 * stream at the end of a load run would otherwise bury the table.
 */
function forwardCapped(stream: Readable | null, label: string): void {
  if (stream === null) return;
  let shown = 0;
  let dropped = 0;
  let rest = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    const lines = (rest + chunk).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) {
      if (shown < STDERR_LINES) {
        process.stderr.write(`[${label}] ${line}\n`);
        shown++;
      } else {
        dropped++;
      }
    }
  });
  stream.on("end", () => {
    if (dropped > 0) process.stderr.write(`[${label}] (${dropped} more lines of stderr)\n`);
  });
}
