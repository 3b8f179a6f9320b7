/**
 * The process the runner starts for each server and each load generator of
 * its own (client benchmarks, streams, memory). It answers commands over IPC;
 * see {@link ../runner/child.ts}.
 */
import { setImmediate } from "node:timers/promises";
import { HeldAnswers } from "../stacks/bare-server.js";
import { createBenchClient, startServer } from "../stacks/index.js";
import type { BenchClient, BenchServer, ClientSpec, ServerSpec, Wire } from "../types.js";
import { makeData, sameBytes } from "../payload.js";
import { type HeldStreams, openHeldStreams } from "./hold-streams.js";
import { serveIpc } from "./ipc.js";
import { bidiWorkload, serverStreamWorkload, unaryWorkload, type Workload } from "./load.js";

let server: BenchServer | undefined;
const held = new HeldAnswers();
let heldStreams: HeldStreams | undefined;
let client: BenchClient | undefined;
let calls: Promise<Uint8Array>[] = [];
let workload: { load: Workload; client: BenchClient } | undefined;

/** What `startWorkload` is asked for: the load and the client that makes it. */
interface WorkloadSpec {
  readonly kind: "unary" | "serverStream" | "bidi";
  readonly client: ClientSpec;
  readonly size: number;
  /** Unary calls in flight. */
  readonly concurrency?: number;
  /** Messages per server stream. */
  readonly count?: number;
}

function makeWorkload(c: BenchClient, spec: WorkloadSpec): Promise<Workload> {
  switch (spec.kind) {
    case "unary":
      return unaryWorkload(c, spec.size, spec.concurrency ?? 1);
    case "serverStream":
      return serverStreamWorkload(c, spec.count ?? 1, spec.size);
    case "bidi":
      return bidiWorkload(c, spec.size);
  }
}

/** Resident memory after garbage collection has settled. */
async function settledMemory() {
  for (let i = 0; i < 3; i++) {
    globalThis.gc?.();
    await setImmediate();
  }
  const usage = process.memoryUsage();
  return { rss: usage.rss, heapUsed: usage.heapUsed };
}

serveIpc({
  async serve(spec: ServerSpec & { hold?: boolean }) {
    server = await startServer(spec, spec.hold ? held : undefined);
    return { port: server.port };
  },
  async hold(on: boolean) {
    held.holding = on;
    return held.count;
  },
  async held() {
    return held.count;
  },
  async release() {
    held.holding = false;
    return held.releaseAll();
  },
  async cpu() {
    const usage = process.cpuUsage();
    return usage.user + usage.system;
  },
  async memory() {
    return settledMemory();
  },
  async startWorkload(spec: WorkloadSpec) {
    if (workload !== undefined) throw new Error("a workload is already running");
    const c = await createBenchClient(spec.client);
    try {
      workload = { load: await makeWorkload(c, spec), client: c };
    } catch (error) {
      await c.close();
      throw error;
    }
    return null;
  },
  async measure(arg: { ms: number }) {
    if (workload === undefined) throw new Error("no workload");
    return workload.load.measure(arg.ms);
  },
  async stopWorkload() {
    const w = workload;
    workload = undefined;
    try {
      await w?.load.close();
    } finally {
      await w?.client.close();
    }
    return null;
  },
  async openStreams(arg: { baseUrl: string; wire: Wire; count: number }) {
    heldStreams = await openHeldStreams(arg.baseUrl, arg.wire, arg.count);
    return heldStreams.opened;
  },
  async closeStreams() {
    await heldStreams?.close();
    heldStreams = undefined;
    return null;
  },
  async openClient(spec: ClientSpec) {
    client = await createBenchClient(spec);
    return null;
  },
  async warmClient(arg: { calls: number; size: number }) {
    if (client === undefined) throw new Error("no client");
    const data = makeData(arg.size);
    for (let i = 0; i < arg.calls; i++) {
      const echo = await client.unary(data);
      if (!sameBytes(echo, data)) throw new Error("unary echo does not match the request");
    }
    return null;
  },
  async startCalls(arg: { count: number; size: number }) {
    if (client === undefined) throw new Error("no client");
    const data = makeData(arg.size);
    calls = [];
    for (let i = 0; i < arg.count; i++) {
      const call = client.unary(data);
      call.catch(() => {});
      calls.push(call);
    }
    return calls.length;
  },
  async finishCalls() {
    const results = await Promise.allSettled(calls);
    calls = [];
    return results.filter((r) => r.status === "fulfilled").length;
  },
  async closeClient() {
    await client?.close();
    client = undefined;
    return null;
  },
  async close() {
    await server?.close();
    server = undefined;
    return null;
  },
});
