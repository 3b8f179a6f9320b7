// A micro-benchmark of the protocol package's handler side alone: it drives
// `createRouter(...).handle(request)` with requests built in memory, the way a
// server adapter builds them, so no socket, HTTP parser or load generator
// shares the figures. It reports server CPU time and bytes allocated per call,
// median of several rounds.
//
//   node --import tsx bench/src/micro-handler.ts [--calls N] [--rounds N] [--case connect,grpc,grpc-web]
//
// Bytes allocated are counted exactly from V8's GC profiler: the heap's growth
// over a round plus everything the collections in it reclaimed.

import { GCProfiler } from "node:v8";
import {
  createHttpBody,
  createRouter,
  Metadata,
  registerService,
  type Router,
  type ServerRequest,
  type ServerResponse,
} from "@connect-ts/protocol";
import { BenchService } from "../gen/bench/v1/bench_pb.js";
import { encodePayload, envelope, makeData, SMALL_BYTES } from "./payload.js";
import { oursImpl } from "./stacks/bench-impl-ours.js";

type CaseName = "connect" | "grpc" | "grpc-web";

interface Case {
  readonly name: CaseName;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Uint8Array;
}

interface Round {
  readonly cpuUs: number;
  readonly bytes: number;
  readonly gcs: number;
  readonly signals: number;
}

function cases(): Case[] {
  const message = encodePayload(makeData(SMALL_BYTES));
  const framed = envelope(message);
  const agent = ["user-agent", "h2load nghttp2/1.52.0"] as const;
  return [
    {
      name: "connect",
      headers: [
        ["content-type", "application/proto"],
        ["connect-protocol-version", "1"],
        agent,
        ["content-length", String(message.length)],
      ],
      body: message,
    },
    {
      name: "grpc",
      headers: [["content-type", "application/grpc"], ["te", "trailers"], agent],
      body: framed,
    },
    {
      name: "grpc-web",
      headers: [["content-type", "application/grpc-web+proto"], ["x-grpc-web", "1"], agent],
      body: framed,
    },
  ];
}

/** How many requests had their signal read, over the last round. */
let signalsRead = 0;

/**
 * A request as a server adapter builds one: headers appended one by one, and
 * a signal made on first read (as the Node adapter makes it), so that the
 * figures show whether the protocol asks for it.
 */
class MemoryRequest implements ServerRequest {
  readonly method = "POST";
  readonly path = "/bench.v1.BenchService/Unary";
  readonly query = "";
  readonly headers = new Metadata();
  readonly body;
  readonly httpVersion = "2";
  #controller: AbortController | undefined;

  constructor(c: Case) {
    for (const [name, value] of c.headers) this.headers.append(name, value);
    this.body = createHttpBody(c.body);
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      signalsRead++;
      this.#controller = new AbortController();
    }
    return this.#controller.signal;
  }
}

/** Reads the response as a server adapter writes it: headers, body, trailers. */
async function consume(res: ServerResponse): Promise<number> {
  let n = 0;
  for (const [, values] of res.headers.entries()) n += values.length;
  if (res.body instanceof Uint8Array) n += res.body.length;
  else if (res.body !== undefined) for await (const chunk of res.body) n += chunk.length;
  if (res.trailers !== undefined)
    for (const [, values] of res.trailers.entries()) n += values.length;
  if (res.status !== 200) throw new Error(`status ${res.status}`);
  return n;
}

async function run(router: Router, c: Case, calls: number): Promise<number> {
  let n = 0;
  for (let i = 0; i < calls; i++) n += await consume(await router.handle(new MemoryRequest(c)));
  return n;
}

async function round(router: Router, c: Case, calls: number): Promise<Round> {
  const profiler = new GCProfiler();
  const heap0 = process.memoryUsage().heapUsed;
  profiler.start();
  signalsRead = 0;
  const cpu0 = process.cpuUsage();
  await run(router, c, calls);
  const cpu = process.cpuUsage(cpu0);
  const heap1 = process.memoryUsage().heapUsed;
  const gcs = profiler.stop()?.statistics ?? [];
  let reclaimed = 0;
  for (const gc of gcs) {
    reclaimed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize;
  }
  return {
    cpuUs: (cpu.user + cpu.system) / calls,
    bytes: (heap1 - heap0 + reclaimed) / calls,
    gcs: gcs.length,
    signals: signalsRead / calls,
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}

async function main(): Promise<void> {
  const calls = Number(option("calls", "200000"));
  const rounds = Number(option("rounds", "5"));
  const wanted = option("case", "connect,grpc,grpc-web").split(",");
  const router = createRouter([registerService(BenchService, oursImpl)]);
  for (const c of cases()) {
    if (!wanted.includes(c.name)) continue;
    await run(router, c, Math.min(calls, 20_000));
    const results: Round[] = [];
    for (let i = 0; i < rounds; i++) results.push(await round(router, c, calls));
    const cpu = median(results.map((r) => r.cpuUs));
    const bytes = median(results.map((r) => r.bytes));
    const gcs = median(results.map((r) => r.gcs));
    const signals = median(results.map((r) => r.signals));
    const each = results.map((r) => r.cpuUs.toFixed(2)).join(" ");
    console.log(
      `${c.name.padEnd(8)} ${cpu.toFixed(2)} µs/call  ${Math.round(bytes)} B/call  ${gcs} GCs/round  signal read in ${(signals * 100).toFixed(0)}% of calls  (rounds: ${each})`,
    );
  }
}

await main();
