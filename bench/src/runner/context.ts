import type { ChildHandle } from "../child/ipc.js";
import type { Round } from "../child/load.js";
import type { ServerSpec, StackName } from "../types.js";
import { type Pinning, startChild } from "./child.js";
import type { BenchConfig } from "./config.js";
import type { Cell, Report } from "./report.js";
import { median } from "./stats.js";

/** What every section gets. */
export interface RunContext {
  readonly config: BenchConfig;
  readonly report: Report;
  readonly pin: Pinning;
  /** Folder for request bodies and load generator files. */
  readonly scratch: string;
}

/** Whether the configuration includes `stack`. */
export function wants(ctx: RunContext, stack: StackName): boolean {
  return ctx.config.stacks.length === 0 || ctx.config.stacks.includes(stack);
}

/** Starts a server child on the server core, runs `fn` with its base URL, then stops it. */
export async function withServer<T>(
  ctx: RunContext,
  spec: ServerSpec & { hold?: boolean },
  label: string,
  fn: (baseUrl: string, server: ChildHandle) => Promise<T>,
): Promise<T> {
  const scope = new ChildScope(ctx);
  try {
    const { baseUrl, server } = await scope.server(spec, label);
    return await fn(baseUrl, server);
  } finally {
    await scope.close();
  }
}

/** Starts a load child on the load core, runs `fn`, then stops it. */
export async function withLoadChild<T>(
  ctx: RunContext,
  label: string,
  fn: (child: ChildHandle) => Promise<T>,
): Promise<T> {
  const scope = new ChildScope(ctx);
  try {
    return await fn(scope.loadChild(label));
  } finally {
    await scope.close();
  }
}

/** The figures of a measured case: the median rate and latencies. */
export interface Figures {
  readonly rate: Cell;
  readonly p50: Cell;
  readonly p99: Cell;
  /** CPU µs per operation of the process under test. */
  readonly cpu: Cell;
}

/** Turns rounds into cells (medians), or an error into cells that say why. */
export function figures(rounds: Round[] | Error): Figures {
  if (rounds instanceof Error) {
    const error = rounds.message.split("\n")[0] ?? "failed";
    const cell: Cell = { value: undefined, error };
    const none: Cell = { value: undefined };
    return { rate: cell, p50: none, p99: none, cpu: none };
  }
  const pick = (key: "rate" | "p50" | "p99" | "cpuMicros"): Cell => {
    const values = rounds.map((r) => r[key]).filter((v): v is number => v !== undefined);
    return values.length === 0 ? { value: undefined } : { value: median(values), rounds: values };
  };
  return { rate: pick("rate"), p50: pick("p50"), p99: pick("p99"), cpu: pick("cpuMicros") };
}

/** Runs a case, turning a failure into an Error value so the run goes on. */
export async function attempt<T>(fn: () => Promise<T>): Promise<T | Error> {
  try {
    return await fn();
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/** Adds a note to a cell. */
export function noted(cell: Cell | undefined, note: string): Cell | undefined {
  return cell === undefined ? undefined : { ...cell, note };
}

/**
 * The children of one case measured in turns: every stack's server and load
 * generator stay up for the whole case, and all stop together at its end.
 */
export class ChildScope {
  readonly #ctx: RunContext;
  readonly #cleanups: (() => Promise<unknown>)[] = [];

  constructor(ctx: RunContext) {
    this.#ctx = ctx;
  }

  /** Starts a server child on the server core; resolves with its base URL. */
  async server(
    spec: ServerSpec & { hold?: boolean },
    label: string,
  ): Promise<{ baseUrl: string; server: ChildHandle }> {
    const server = startChild({
      cpu: this.#ctx.pin.server,
      cpuProfileDir: this.#ctx.config.cpuProfileDir,
      label: `server-${label}`,
    });
    this.#cleanups.push(async () => {
      await server.call("close", null, 10_000).catch(() => {});
      await server.stop();
    });
    const { port } = await server.call<{ port: number }>("serve", spec, 30_000);
    return { baseUrl: `http://127.0.0.1:${port}`, server };
  }

  /** Starts a load child on the load core. */
  loadChild(label: string): ChildHandle {
    const child = startChild({
      cpu: this.#ctx.pin.load,
      cpuProfileDir: this.#ctx.config.cpuProfileDir,
      label: `client-${label}`,
    });
    this.#cleanups.push(async () => {
      await child.call("stopWorkload", null, 10_000).catch(() => {});
      await child.stop();
    });
    return child;
  }

  /** Stops every child, load generators first, so no server sees a client vanish mid-call. */
  async close(): Promise<void> {
    const cleanups = this.#cleanups.splice(0).reverse();
    for (const cleanup of cleanups) await cleanup();
  }
}
