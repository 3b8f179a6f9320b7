import { setTimeout as sleep } from "node:timers/promises";
import type { ChildHandle } from "../child/ipc.js";
import { SMALL_BYTES } from "../payload.js";
import { supports } from "../stacks/index.js";
import type { StackName, Wire } from "../types.js";
import { attempt, noted, type RunContext, wants, withLoadChild, withServer } from "./context.js";
import type { Cell } from "./report.js";

interface Memory {
  readonly rss: number;
  readonly heapUsed: number;
}

/** The growth of resident memory per stream or call, in KiB, as a cell. */
function perItem(before: Memory, after: Memory, count: number): Cell {
  return { value: (after.rss - before.rss) / count / 1024, rounds: [] };
}

function errorCell(error: Error): Cell {
  return { value: undefined, error: error.message.split("\n")[0] ?? "failed" };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * Memory: the growth of a server's resident memory per open server stream
 * (streams held open by a bare HTTP/2 client), and of a client's per unary
 * call in flight (calls held by the bare server), both over h2c. Both ends
 * are measured after garbage collection, before and after opening them.
 */
export async function memory(ctx: RunContext): Promise<void> {
  const count = ctx.config.memoryCount;
  const warm = Math.min(200, count);
  // connect-es over gRPC is left out: each case holds 10,000 streams or calls
  // and takes a while, and the gRPC rows are there to set ours beside grpc-js.
  const combos: [StackName, Wire][] = [
    ["ours", "connect"],
    ["ours", "grpc"],
    ["connect-es", "connect"],
    ["grpc-js", "grpc"],
  ];
  const server = new Map<string, Cell>();
  for (const [stack, wire] of combos) {
    if (!wants(ctx, stack) || !supports(stack, "2", wire)) continue;
    ctx.report.log(`memory: ${count} open server streams on ${stack} (${wire})`);
    const label = `memory-streams-${stack}-${wire}`;
    const cell = await attempt(() =>
      withServer(ctx, { stack, httpVersion: "2" }, label, (baseUrl, srv) =>
        withLoadChild(ctx, label, async (child) => {
          await child.call("openStreams", { baseUrl, wire, count: warm });
          await child.call("closeStreams");
          await sleep(200);
          const before = await srv.call<Memory>("memory");
          await child.call("openStreams", { baseUrl, wire, count });
          const after = await srv.call<Memory>("memory");
          await child.call("closeStreams");
          return perItem(before, after, count);
        }),
      ),
    );
    server.set(`${stack}/${wire}`, cell instanceof Error ? errorCell(cell) : cell);
  }
  addRows(ctx, server, `server, per open server stream (${count})`, false);

  const client = new Map<string, Cell>();
  const clientCombos: [StackName, Wire][] = [...combos, ["bare", "connect"]];
  const done = await attempt(() =>
    withServer(
      ctx,
      { stack: "bare", httpVersion: "2", hold: true },
      "memory-bare",
      async (baseUrl, srv) => {
        for (const [stack, wire] of clientCombos) {
          if (!wants(ctx, stack) || !supports(stack, "2", wire)) continue;
          ctx.report.log(`memory: ${count} unary calls in flight on ${stack} (${wire})`);
          const label = `memory-calls-${stack}-${wire}`;
          const cell = await attempt(() =>
            withLoadChild(ctx, label, (child) =>
              callsInFlight(child, srv, stack, wire, baseUrl, count),
            ),
          );
          client.set(`${stack}/${wire}`, cell instanceof Error ? errorCell(cell) : cell);
        }
      },
    ),
  );
  if (done instanceof Error) ctx.report.errors.push(`memory: bare server: ${done.message}`);
  addRows(ctx, client, `client, per unary call in flight (${count})`, true);
}

async function callsInFlight(
  child: ChildHandle,
  srv: ChildHandle,
  stack: StackName,
  wire: Wire,
  baseUrl: string,
  count: number,
): Promise<Cell> {
  await child.call("openClient", { stack, httpVersion: "2", wire, baseUrl });
  await child.call("warmClient", { calls: 200, size: SMALL_BYTES });
  const before = await child.call<Memory>("memory");
  await srv.call("hold", true);
  let measured: Cell | Error;
  try {
    await child.call("startCalls", { count, size: SMALL_BYTES });
    await waitFor(
      async () => (await srv.call<number>("held")) >= count,
      120_000,
      "calls to arrive",
    );
    measured = perItem(before, await child.call<Memory>("memory"), count);
  } catch (error) {
    measured = error instanceof Error ? error : new Error(String(error));
  }
  await srv.call("release");
  const ok = await child.call<number>("finishCalls");
  await child.call("closeClient");
  if (measured instanceof Error) throw measured;
  if (ok !== count) throw new Error(`${count - ok} of ${count} calls failed`);
  return measured;
}

function addRows(ctx: RunContext, cells: Map<string, Cell>, what: string, withBare: boolean) {
  const stacks: StackName[] = withBare
    ? ["ours", "connect-es", "grpc-js", "bare"]
    : ["ours", "connect-es", "grpc-js"];
  for (const wire of ["connect", "grpc"] as const) {
    const row: Partial<Record<StackName, Cell>> = {};
    for (const stack of stacks) {
      let cell = cells.get(`${stack}/${wire}`);
      if (cell === undefined && stack === "grpc-js")
        cell = noted(cells.get("grpc-js/grpc"), "gRPC");
      if (cell === undefined && stack === "bare") cell = cells.get("bare/connect");
      if (cell !== undefined) row[stack] = cell;
    }
    ctx.report.add({
      section: "memory",
      name: `${what}, h2c ${wire === "grpc" ? "gRPC" : "Connect"}`,
      unit: "KiB",
      higherIsBetter: false,
      cells: row,
    });
  }
}
