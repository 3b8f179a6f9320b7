// A census of what a server keeps on its heap per open server stream: the
// memory case of the benchmark, taken apart by constructor. The server runs
// in this process; a child process holds the streams open with a bare
// node:http2 client (as the memory case does), and heap snapshots taken
// before and after are summed by node type and constructor name.
//
//   node --expose-gc dist/src/heap-census.js [--stack ours|grpc-js|connect-es]
//     [--wire connect|grpc] [--count N] [--top N] [--retainers Name,Name]
//
// `--retainers` lists, for the objects of those constructors that are new in
// the second snapshot, which edges hold them (owner constructor and edge name),
// to find out who keeps what alive.

import { fork } from "node:child_process";
import { Session } from "node:inspector";
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { GCProfiler, getHeapSpaceStatistics, writeHeapSnapshot } from "node:v8";
import { openHeldStreams } from "./child/hold-streams.js";
import { startServer } from "./stacks/index.js";
import type { StackName, Wire } from "./types.js";

/** The parts of a V8 heap snapshot the census reads. */
interface Snapshot {
  readonly snapshot: {
    readonly meta: {
      readonly node_fields: string[];
      readonly node_types: [string[], ...unknown[]];
      readonly edge_fields: string[];
      readonly edge_types: [string[], ...unknown[]];
    };
  };
  readonly nodes: number[];
  readonly edges: number[];
  readonly strings: string[];
}

/** Count and self size of the nodes of one kind. */
interface Tally {
  count: number;
  size: number;
}

/** A snapshot read into flat tables: one entry per node. */
interface Census {
  readonly byKind: Map<string, Tally>;
  readonly ids: Set<number>;
  readonly snapshot: Snapshot;
}

/** The kind a node is counted under: its type, and its name where the name says something. */
function kindOf(type: string, name: string): string {
  switch (type) {
    case "object":
    case "native":
      return name.length > 60 ? `${name.slice(0, 57)}...` : name;
    case "closure":
      return `(closure ${name || "anonymous"})`;
    case "hidden":
    case "array":
    case "synthetic":
    case "object shape":
      return `(${type}) ${name.length > 50 ? `${name.slice(0, 47)}...` : name}`;
    default:
      return `(${type})`;
  }
}

function readSnapshot(file: string): Census {
  const snapshot = JSON.parse(readFileSync(file, "utf8")) as Snapshot;
  const meta = snapshot.snapshot.meta;
  const fields = meta.node_fields.length;
  const typeAt = meta.node_fields.indexOf("type");
  const nameAt = meta.node_fields.indexOf("name");
  const idAt = meta.node_fields.indexOf("id");
  const sizeAt = meta.node_fields.indexOf("self_size");
  const types = meta.node_types[0];
  const nodes = snapshot.nodes;
  const byKind = new Map<string, Tally>();
  const ids = new Set<number>();
  for (let i = 0; i < nodes.length; i += fields) {
    const kind = kindOf(types[nodes[i + typeAt]!]!, snapshot.strings[nodes[i + nameAt]!]!);
    let tally = byKind.get(kind);
    if (tally === undefined) {
      tally = { count: 0, size: 0 };
      byKind.set(kind, tally);
    }
    tally.count++;
    tally.size += nodes[i + sizeAt]!;
    ids.add(nodes[i + idAt]!);
  }
  return { byKind, ids, snapshot };
}

/**
 * For nodes new in `after` whose kind is in `wanted`: how many are held
 * through each chain of retainers, `depth` owners deep (the first strong
 * retainer at each step), each link an owner kind and an edge name.
 */
function retainers(
  after: Census,
  before: Census,
  wanted: ReadonlySet<string>,
  depth: number,
): Map<string, number> {
  const { snapshot } = after;
  const meta = snapshot.snapshot.meta;
  const fields = meta.node_fields.length;
  const typeAt = meta.node_fields.indexOf("type");
  const nameAt = meta.node_fields.indexOf("name");
  const idAt = meta.node_fields.indexOf("id");
  const edgeCountAt = meta.node_fields.indexOf("edge_count");
  const edgeFields = meta.edge_fields.length;
  const edgeTypeAt = meta.edge_fields.indexOf("type");
  const edgeNameAt = meta.edge_fields.indexOf("name_or_index");
  const edgeToAt = meta.edge_fields.indexOf("to_node");
  const types = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const { nodes, edges, strings } = snapshot;
  const kindAt = (i: number) => kindOf(types[nodes[i + typeAt]!]!, strings[nodes[i + nameAt]!]!);
  // The first strong retainer of every node, and the edge's name.
  const owner = new Map<number, { from: number; edge: string }>();
  let edge = 0;
  for (let i = 0; i < nodes.length; i += fields) {
    const count = nodes[i + edgeCountAt]!;
    for (let e = 0; e < count; e++, edge += edgeFields) {
      const to = edges[edge + edgeToAt]!;
      if (owner.has(to)) continue;
      const edgeType = edgeTypes[edges[edge + edgeTypeAt]!]!;
      if (edgeType === "weak" || edgeType === "shortcut") continue;
      const nameOrIndex = edges[edge + edgeNameAt]!;
      const name =
        edgeType === "element" || edgeType === "hidden"
          ? `[${nameOrIndex}]`
          : strings[nameOrIndex]!;
      owner.set(to, { from: i, edge: name });
    }
  }
  const out = new Map<string, number>();
  for (let i = 0; i < nodes.length; i += fields) {
    const kind = kindAt(i);
    if (!wanted.has(kind) || before.ids.has(nodes[i + idAt]!)) continue;
    let key = kind;
    let at = i;
    for (let d = 0; d < depth; d++) {
      const link = owner.get(at);
      if (link === undefined) break;
      key += `  <- .${link.edge} ${kindAt(link.from)}`;
      at = link.from;
    }
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}

/** Memory figures after garbage collection: the process's, and V8's heap spaces. */
interface MemoryFigures {
  readonly usage: NodeJS.MemoryUsage;
  /** Bytes used by live objects, per heap space. */
  readonly spaces: Map<string, number>;
  /** Bytes of memory each heap space holds, used or not. */
  readonly physical: Map<string, number>;
}

async function settledMemory(): Promise<MemoryFigures> {
  await settle();
  const spaces = new Map<string, number>();
  const physical = new Map<string, number>();
  for (const space of getHeapSpaceStatistics()) {
    spaces.set(space.space_name, space.space_used_size);
    physical.set(space.space_name, space.physical_space_size);
  }
  return { usage: process.memoryUsage(), spaces, physical };
}

function reportMemory(
  stack: string,
  wire: string,
  count: number,
  before: MemoryFigures,
  after: MemoryFigures,
): void {
  const kib = (n: number) => `${(n / count / 1024).toFixed(2)} KiB`;
  const a = after.usage;
  const b = before.usage;
  console.log(`${stack} (${wire}), ${count} open server streams, per stream:`);
  console.log(
    `  rss ${kib(a.rss - b.rss)}, heap total ${kib(a.heapTotal - b.heapTotal)}, heap used ${kib(a.heapUsed - b.heapUsed)}, external ${kib(a.external - b.external)}`,
  );
  const bySpace = (key: "spaces" | "physical") =>
    [...after[key]]
      .map(([name, n]) => [name, n - (before[key].get(name) ?? 0)] as const)
      .filter(([, n]) => Math.abs(n) >= count * 10)
      .map(([name, n]) => `${name} ${kib(n)}`)
      .join(", ");
  console.log(`  used by heap space: ${bySpace("spaces")}`);
  console.log(`  held by heap space: ${bySpace("physical")}`);
}

async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    globalThis.gc?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Writes a heap snapshot after collecting garbage; returns the file. */
async function snapshotNow(label: string): Promise<string> {
  await settle();
  return writeHeapSnapshot(join(tmpdir(), `heap-census-${process.pid}-${label}.heapsnapshot`));
}

/** Reads a snapshot file, then deletes it. */
function readAndRemove(file: string): Census {
  try {
    return readSnapshot(file);
  } finally {
    rmSync(file, { force: true });
  }
}

/** A node of the sampling heap profiler's tree, as far as it is read here. */
interface SampleNode {
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly selfSize: number;
  readonly children: SampleNode[];
}

/**
 * Bytes allocated while `run` runs, garbage included (V8's sampling heap
 * profiler, every allocation of 64 bytes or more on average), summed by the
 * function that allocated them.
 */
async function sampleAllocations(run: () => Promise<unknown>): Promise<Map<string, number>> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, params, (err, result) => (err ? reject(err) : resolve(result))),
    );
  await settle();
  await post("HeapProfiler.startSampling", {
    samplingInterval: 64,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  await run();
  const { profile } = (await post("HeapProfiler.stopSampling")) as {
    profile: { head: SampleNode };
  };
  session.disconnect();
  const out = new Map<string, number>();
  const name = (node: SampleNode) => {
    const { functionName, url, lineNumber } = node.callFrame;
    if (url === "") return functionName || "(anonymous)";
    return `${functionName || "(anonymous)"} ${url.slice(url.lastIndexOf("/") + 1)}:${lineNumber + 1}`;
  };
  // Built-ins (Map, Promise, ...) are named with the function that called them.
  const walk = (node: SampleNode, caller: string) => {
    const own = name(node);
    if (node.selfSize > 0) {
      const key = node.callFrame.url === "" ? `${own} <- ${caller}` : own;
      out.set(key, (out.get(key) ?? 0) + node.selfSize);
    }
    for (const child of node.children) walk(child, node.callFrame.url === "" ? caller : own);
  };
  walk(profile.head, "(root)");
  return out;
}

/** The child's side: holds streams open on command, until told to close them. */
async function runHolder(): Promise<void> {
  let held: Awaited<ReturnType<typeof openHeldStreams>> | undefined;
  process.on(
    "message",
    async (msg: { op: string; baseUrl?: string; wire?: Wire; count?: number }) => {
      if (msg.op === "open") {
        held = await openHeldStreams(msg.baseUrl!, msg.wire!, msg.count!);
        process.send!({ op: "opened" });
      } else if (msg.op === "close") {
        await held?.close();
        held = undefined;
        process.send!({ op: "closed" });
      } else if (msg.op === "exit") {
        process.exit(0);
      }
    },
  );
  process.send!({ op: "ready" });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      stack: { type: "string", default: "ours" },
      wire: { type: "string", default: "connect" },
      count: { type: "string", default: "2000" },
      top: { type: "string", default: "40" },
      retainers: { type: "string" },
      depth: { type: "string", default: "3" },
      "memory-only": { type: "boolean", default: false },
      allocations: { type: "boolean", default: false },
    },
  });
  const stack = values.stack as StackName;
  const wire = values.wire as Wire;
  const count = Number(values.count);
  const top = Number(values.top);
  if (globalThis.gc === undefined) throw new Error("run with node --expose-gc");
  const server = await startServer({ stack, httpVersion: "2" });
  const baseUrl = `http://127.0.0.1:${server.port}`;
  const child = fork(new URL(import.meta.url).pathname, ["--holder"], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const replies: ((msg: unknown) => void)[] = [];
  child.on("message", (msg) => replies.shift()?.(msg));
  const ask = (msg: object | undefined) =>
    new Promise((resolve) => {
      replies.push(resolve);
      if (msg !== undefined) child.send(msg);
    });
  try {
    await ask(undefined);
    // Warm up: every code path runs once, and lazily made per-process state exists.
    await ask({ op: "open", baseUrl, wire, count: Math.min(200, count) });
    await ask({ op: "close" });
    await new Promise((resolve) => setTimeout(resolve, 200));
    if (values.allocations) {
      const sampled = await sampleAllocations(() => ask({ op: "open", baseUrl, wire, count }));
      console.log(
        `${stack} (${wire}), bytes allocated per stream while ${count} open, garbage included:`,
      );
      let total = 0;
      for (const [, bytes] of sampled) total += bytes;
      console.log(`${(total / count).toFixed(0).padStart(8)}  (all)`);
      for (const [where, bytes] of [...sampled].sort((a, b) => b[1] - a[1]).slice(0, top)) {
        console.log(`${(bytes / count).toFixed(0).padStart(8)}  ${where}`);
      }
      await ask({ op: "close" });
      return;
    }
    if (values["memory-only"]) {
      // Without snapshots, whose writing grows the process, resident memory means something.
      const memBefore = await settledMemory();
      // Bytes allocated while the streams open, garbage included: what does
      // not stay still leaves the heap larger (and fragmented) after GC.
      const profiler = new GCProfiler();
      const heap0 = process.memoryUsage().heapUsed;
      profiler.start();
      await ask({ op: "open", baseUrl, wire, count });
      const heap1 = process.memoryUsage().heapUsed;
      let reclaimed = 0;
      for (const gc of profiler.stop()?.statistics ?? []) {
        reclaimed +=
          gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize;
      }
      const memAfter = await settledMemory();
      reportMemory(stack, wire, count, memBefore, memAfter);
      console.log(
        `  allocated while opening: ${((heap1 - heap0 + reclaimed) / count / 1024).toFixed(2)} KiB`,
      );
      await ask({ op: "close" });
      return;
    }
    // Both snapshots are read only after the second is taken, so that
    // neither the census's own tables nor a parsed snapshot are counted.
    const memBefore = await settledMemory();
    const beforeFile = await snapshotNow("before");
    await ask({ op: "open", baseUrl, wire, count });
    const memAfter = await settledMemory();
    const afterFile = await snapshotNow("after");
    const before = readAndRemove(beforeFile);
    const after = readAndRemove(afterFile);
    report(stack, wire, count, before, after, memBefore, memAfter, top);
    if (values.retainers !== undefined) {
      const wanted = new Set(values.retainers.split(","));
      const held = [...retainers(after, before, wanted, Number(values.depth))].sort(
        (a, b) => b[1] - a[1],
      );
      console.log("\nretainers (per stream):");
      for (const [key, n] of held.slice(0, top)) {
        if (n / count >= 0.05) console.log(`${(n / count).toFixed(2).padStart(7)}  ${key}`);
      }
    }
    await ask({ op: "close" });
  } finally {
    child.send({ op: "exit" });
    await server.close();
  }
}

function report(
  stack: string,
  wire: string,
  count: number,
  before: Census,
  after: Census,
  memBefore: MemoryFigures,
  memAfter: MemoryFigures,
  top: number,
): void {
  const rows: { kind: string; count: number; size: number }[] = [];
  let total = 0;
  for (const [kind, tally] of after.byKind) {
    const was = before.byKind.get(kind) ?? { count: 0, size: 0 };
    const size = tally.size - was.size;
    total += size;
    rows.push({ kind, count: (tally.count - was.count) / count, size: size / count });
  }
  rows.sort((a, b) => b.size - a.size);
  reportMemory(stack, wire, count, memBefore, memAfter);
  console.log(`  heap snapshot: ${(total / count).toFixed(0)} bytes\n`);
  console.log("   bytes   count  kind");
  for (const row of rows.slice(0, top)) {
    if (Math.abs(row.size) < 4 && Math.abs(row.count) < 0.05) continue;
    console.log(
      `${row.size.toFixed(0).padStart(8)} ${row.count.toFixed(2).padStart(7)}  ${row.kind}`,
    );
  }
}

if (process.argv.includes("--holder")) {
  void runHolder();
} else {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
