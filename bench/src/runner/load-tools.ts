import { execFile, spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Round } from "../child/load.js";
import { pinned } from "./child.js";
import { quantileSorted } from "./stats.js";

/** A load generator run against one server. */
export interface ToolLoad {
  readonly url: string;
  /** File holding the request body sent with every request. */
  readonly bodyFile: string;
  readonly headers: Readonly<Record<string, string>>;
  /** TCP connections. */
  readonly connections: number;
  /** Concurrent streams per connection (HTTP/2 only). */
  readonly streams: number;
  readonly warmupSeconds: number;
  readonly roundSeconds: number;
  readonly rounds: number;
  readonly cpu: number | undefined;
  /** Folder for logs and scripts. */
  readonly scratch: string;
}

/** Runs a command and resolves with its standard output; rejects on a non-zero exit. */
export function run(command: string, args: string[], timeoutMs = 300_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${command} failed: ${error.message}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

/** Whether an executable is on the PATH. */
export function haveCommand(name: string): boolean {
  const dirs = (process.env.PATH ?? "").split(":");
  return dirs.some((dir) => dir !== "" && existsSync(join(dir, name)));
}

/**
 * Installs h2load (Debian's nghttp2-client) and wrk when missing: as root
 * with apt-get, non-interactively. Resolves with what is still missing.
 */
export async function ensureLoadTools(log: (line: string) => void): Promise<string[]> {
  const missing = () => ["h2load", "wrk"].filter((name) => !haveCommand(name));
  if (missing().length === 0) return [];
  const isRoot = process.getuid?.() === 0;
  if (isRoot && haveCommand("apt-get")) {
    log(`installing ${missing().join(", ")} with apt-get`);
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    await new Promise<void>((resolve) => {
      const child = spawn(
        "sh",
        ["-c", "apt-get update -qq && apt-get install -y -qq nghttp2-client wrk"],
        { stdio: "ignore", env },
      );
      child.on("exit", () => resolve());
      child.on("error", () => resolve());
    });
  }
  return missing();
}

function duration(seconds: number): string {
  return `${Math.max(1, Math.round(seconds * 1000))}ms`;
}

/**
 * h2load over h2c (prior knowledge): requests per second from its summary,
 * p50/p99 from its per-request log. Any failed or non-2xx request fails the run.
 */
export async function h2load(load: ToolLoad): Promise<Round[]> {
  // One log per server: loads that run at once (shared-core rounds) must not share one.
  const log = join(load.scratch, `h2load-${new URL(load.url).port}.log`);
  const base = ["-t", "1", "-c", String(load.connections), "-m", String(load.streams)];
  base.push("-d", load.bodyFile);
  for (const [name, value] of Object.entries(load.headers)) base.push("-H", `${name}: ${value}`);
  const once = async (seconds: number, withLog: boolean): Promise<Round> => {
    const args = [...base, "-D", duration(seconds)];
    if (withLog) args.push(`--log-file=${log}`);
    args.push(load.url);
    const [command, cmdArgs] = pinned(load.cpu, "h2load", args);
    const out = await run(command, cmdArgs);
    const rate = /finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(out);
    const requests = /requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded/.exec(out);
    const codes = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(out);
    const failures = /(\d+) failed, (\d+) errored, (\d+) timeout/.exec(out);
    if (rate === null || requests === null || codes === null || failures === null) {
      throw new Error(`unexpected h2load output:\n${out}`);
    }
    const [, total, done, succeeded] = requests.map(Number) as [number, number, number, number];
    const bad = Number(codes[2]) + Number(codes[3]) + Number(codes[4]);
    const failed = Number(failures[1]) + Number(failures[2]) + Number(failures[3]);
    if (done === 0) throw new Error("h2load: no request completed within the round");
    if (succeeded !== done || bad > 0 || failed > 0) {
      throw new Error(
        `h2load: ${total} requests, ${succeeded} succeeded, ${failed} failed, ${bad} not 2xx`,
      );
    }
    if (!withLog) return { rate: Number(rate[1]), count: done };
    const latencies = readFileSync(log, "utf8")
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => Number(line.split("\t")[2]) / 1000);
    rmSync(log, { force: true });
    const sorted = Float64Array.from(latencies).sort();
    return {
      rate: Number(rate[1]),
      count: done,
      p50: quantileSorted(sorted, 0.5),
      p99: quantileSorted(sorted, 0.99),
    };
  };
  if (load.warmupSeconds > 0) await once(load.warmupSeconds, false);
  const rounds: Round[] = [];
  for (let i = 0; i < load.rounds; i++) rounds.push(await once(load.roundSeconds, true));
  return rounds;
}

/** Converts one of wrk's durations ("812.00us", "1.52ms", "2.01s") to milliseconds. */
export function wrkMillis(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (m === null) return Number.NaN;
  const value = Number(m[1]);
  const unit = m[2];
  return unit === "us"
    ? value / 1000
    : unit === "ms"
      ? value
      : unit === "s"
        ? value * 1000
        : value * 60_000;
}

/**
 * wrk over HTTP/1.1 with a Lua script that makes every request a POST of the
 * body file: requests per second and its latency distribution. Socket errors
 * or non-2xx answers fail the run.
 */
export async function wrk(load: ToolLoad): Promise<Round[]> {
  const script = join(load.scratch, "wrk-post.lua");
  const lines = ['wrk.method = "POST"'];
  for (const [name, value] of Object.entries(load.headers)) {
    lines.push(`wrk.headers[${JSON.stringify(name)}] = ${JSON.stringify(value)}`);
  }
  lines.push(
    `local f = assert(io.open(${JSON.stringify(load.bodyFile)}, "rb"))`,
    'wrk.body = f:read("*a")',
    "f:close()",
  );
  writeFileSync(script, `${lines.join("\n")}\n`);
  const once = async (seconds: number): Promise<Round> => {
    const args = [
      "-t",
      "1",
      "-c",
      String(load.connections),
      "-d",
      `${Math.max(1, Math.round(seconds))}s`,
    ];
    args.push("--latency", "-s", script, load.url);
    const [command, cmdArgs] = pinned(load.cpu, "wrk", args);
    const out = await run(command, cmdArgs);
    const rate = /Requests\/sec:\s+([\d.]+)/.exec(out);
    const p50 = /^\s+50%\s+(\S+)/m.exec(out);
    const p99 = /^\s+99%\s+(\S+)/m.exec(out);
    if (rate === null || p50 === null || p99 === null) {
      throw new Error(`unexpected wrk output:\n${out}`);
    }
    const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
    if (non2xx !== null) throw new Error(`wrk: ${non2xx[1]} non-2xx responses`);
    const socketErrors = /Socket errors: (.*)/.exec(out);
    if (socketErrors !== null) throw new Error(`wrk socket errors: ${socketErrors[1]}`);
    const count = /(\d+) requests in/.exec(out);
    return {
      rate: Number(rate[1]),
      count: count === null ? undefined : Number(count[1]),
      p50: wrkMillis(p50[1]!),
      p99: wrkMillis(p99[1]!),
    };
  };
  if (load.warmupSeconds > 0) await once(load.warmupSeconds);
  const rounds: Round[] = [];
  for (let i = 0; i < load.rounds; i++) rounds.push(await once(load.roundSeconds));
  return rounds;
}
