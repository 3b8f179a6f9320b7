import { performance } from "node:perf_hooks";
import { makeData, sameBytes } from "../payload.js";
import type { BenchClient } from "../types.js";

/** One measured round: a rate (per second) and, for calls, latency percentiles in ms. */
export interface Round {
  readonly rate: number;
  readonly p50?: number;
  readonly p99?: number;
  /** Operations (requests, calls, messages) completed in the round. */
  readonly count?: number;
  /**
   * CPU time (user + system) this process spent per operation, in µs. Unlike
   * a rate it hardly depends on how much CPU other processes left us, so it
   * stays comparable on a busy machine.
   */
  readonly cpuMicros?: number;
}

/** CPU time of this process so far, in µs. */
function cpuNow(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

/** The `q` quantile (0..1) of sorted values. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index]!;
}

/**
 * A load started in a child and measured a round at a time, so the runner
 * can take turns between stacks: each round of one stack sits between rounds
 * of the others, and a burst of noise on the machine lands on all of them.
 */
export interface Workload {
  /** Runs the load for `ms` milliseconds and reports the round. */
  measure(ms: number): Promise<Round>;
  /** Ends what the load holds open (a bidi stream). */
  close(): Promise<void>;
}

/**
 * Unary calls with `concurrency` in flight. The first response is checked
 * byte by byte, so a stack that answers wrongly fails instead of posting a
 * figure.
 */
export async function unaryWorkload(
  client: BenchClient,
  size: number,
  concurrency: number,
): Promise<Workload> {
  const data = makeData(size);
  const first = await client.unary(data);
  if (!sameBytes(first, data)) throw new Error("unary echo does not match the request");
  const measure = async (ms: number): Promise<Round> => {
    const latencies: number[] = [];
    const cpu0 = cpuNow();
    const start = performance.now();
    const deadline = start + ms;
    const worker = async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const echo = await client.unary(data);
        latencies.push(performance.now() - t0);
        if (echo.byteLength !== size) throw new Error("unary echo has the wrong size");
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const elapsed = performance.now() - start;
    latencies.sort((a, b) => a - b);
    return {
      rate: (latencies.length * 1000) / elapsed,
      p50: quantile(latencies, 0.5),
      p99: quantile(latencies, 0.99),
      count: latencies.length,
      cpuMicros: (cpuNow() - cpu0) / latencies.length,
    };
  };
  return { measure, close: async () => {} };
}

/** Server streams of `count` messages of `size` bytes, one after another: messages per second. */
export async function serverStreamWorkload(
  client: BenchClient,
  count: number,
  size: number,
): Promise<Workload> {
  const serverStream = client.serverStream?.bind(client);
  if (serverStream === undefined) throw new Error("this client has no server streams");
  const measure = async (ms: number): Promise<Round> => {
    const cpu0 = cpuNow();
    const start = performance.now();
    const deadline = start + ms;
    let messages = 0;
    while (performance.now() < deadline) {
      const bytes = await serverStream(count, size);
      if (bytes !== count * size) throw new Error(`server stream gave ${bytes} bytes`);
      messages += count;
    }
    const rate = (messages * 1000) / (performance.now() - start);
    return { rate, count: messages, cpuMicros: (cpuNow() - cpu0) / messages };
  };
  return { measure, close: async () => {} };
}

/** Ping-pong on one bidi stream, kept open between rounds: round trips per second. */
export async function bidiWorkload(client: BenchClient, size: number): Promise<Workload> {
  const open = client.bidi?.bind(client);
  if (open === undefined) throw new Error("this client has no bidi streams");
  const session = open();
  const data = makeData(size);
  const echo = await session.ping(data);
  if (!sameBytes(echo, data)) throw new Error("bidi echo does not match the request");
  const measure = async (ms: number): Promise<Round> => {
    const cpu0 = cpuNow();
    const start = performance.now();
    const deadline = start + ms;
    let trips = 0;
    while (performance.now() < deadline) {
      await session.ping(data);
      trips++;
    }
    const rate = (trips * 1000) / (performance.now() - start);
    return { rate, count: trips, cpuMicros: (cpuNow() - cpu0) / trips };
  };
  return { measure, close: () => session.close() };
}
