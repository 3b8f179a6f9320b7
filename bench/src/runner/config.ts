/** How long and how hard a run measures. */
export interface BenchConfig {
  readonly quick: boolean;
  /** Warm-up before the measured rounds of each case, in seconds. */
  readonly warmupSeconds: number;
  /** Length of one measured round, in seconds. */
  readonly roundSeconds: number;
  /** Measured rounds per case; the table shows their median. */
  readonly rounds: number;
  /** Open server streams / unary calls in flight for the memory cases. */
  readonly memoryCount: number;
  /** Messages per server stream in the streaming case. */
  readonly streamMessages: number;
  /** Sections to run (all when empty). */
  readonly sections: readonly string[];
  /** Stacks to run (all when empty). */
  readonly stacks: readonly string[];
  /** Folder for CPU profiles of the servers and load clients, when profiling. */
  readonly cpuProfileDir: string | undefined;
}

/** The sections of a run, in order. */
export const SECTIONS = [
  "server-unary",
  "client-unary",
  "streaming",
  "shared-core",
  "memory",
  "compression",
];

function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

function listFromEnv(name: string): string[] {
  return (process.env[name] ?? "").split(",").filter((s) => s !== "");
}

/**
 * The configuration of a run: full or quick, adjusted by environment
 * variables (`BENCH_ROUNDS`, `BENCH_ROUND_SECONDS`, `BENCH_WARMUP_SECONDS`,
 * `BENCH_MEMORY_COUNT`, `BENCH_SECTIONS`, `BENCH_STACKS`, `BENCH_CPU_PROF`).
 */
export function benchConfig(quick: boolean): BenchConfig {
  return {
    quick,
    warmupSeconds: numberFromEnv("BENCH_WARMUP_SECONDS", quick ? 0.5 : 2),
    roundSeconds: numberFromEnv("BENCH_ROUND_SECONDS", 1),
    rounds: numberFromEnv("BENCH_ROUNDS", quick ? 1 : 9),
    memoryCount: numberFromEnv("BENCH_MEMORY_COUNT", quick ? 500 : 10_000),
    streamMessages: numberFromEnv("BENCH_STREAM_MESSAGES", quick ? 200 : 2000),
    sections: listFromEnv("BENCH_SECTIONS"),
    stacks: listFromEnv("BENCH_STACKS"),
    cpuProfileDir: process.env.BENCH_CPU_PROF || undefined,
  };
}
