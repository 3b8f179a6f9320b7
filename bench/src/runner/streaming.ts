import { supports } from "../stacks/index.js";
import type { StackName, Wire } from "../types.js";
import { type ChildScope, figures, noted, type RunContext, wants } from "./context.js";
import type { Cell } from "./report.js";
import { type Entry, runCase, workloadEntrant } from "./turns.js";

/** Bytes in each message of the streaming cases. */
const MESSAGE_BYTES = 1024;

/** The stacks of each test: the bare floor echoes bidi streams but makes no server streams. */
const STACKS = {
  serverStream: ["ours", "connect-es", "grpc-js"],
  bidi: ["ours", "connect-es", "grpc-js", "bare"],
} as const satisfies Record<string, readonly StackName[]>;

/** What a streaming entry runs: server streams, or bidi ping-pong. */
export type StreamingKind = "serverStream" | "bidi";

/** A stack's client against its own server over h2c, running a streaming workload. */
export function streamingEntry(
  ctx: RunContext,
  kind: StreamingKind,
  stack: StackName,
  wire: Wire,
  key: string,
): Entry {
  const label = `${kind}-${stack}-${wire}`;
  return {
    key,
    async start(scope: ChildScope) {
      const { baseUrl } = await scope.server({ stack, httpVersion: "2" }, label);
      return workloadEntrant(ctx, scope, key, label, {
        kind,
        client: { stack, httpVersion: "2", wire, baseUrl },
        count: ctx.config.streamMessages,
        size: MESSAGE_BYTES,
      });
    },
  };
}

/**
 * Streaming over h2c, each stack's client against its own server: messages
 * per second of server streams of 1 KiB messages, and round trips per second
 * of ping-pong on one bidi stream. The pairs of a test run side by side and
 * take turns, a round each.
 */
export async function streaming(ctx: RunContext): Promise<void> {
  const tests = [
    { kind: "serverStream", name: "server stream 1 KiB messages", unit: "msgs/s" },
    { kind: "bidi", name: "bidi ping-pong 1 KiB", unit: "round trips/s" },
  ] as const;
  for (const test of tests) {
    const measured = new Map<string, Cell>();
    ctx.report.log(`streaming: ${test.name} over h2c`);
    const entries = [];
    for (const stack of STACKS[test.kind]) {
      if (!wants(ctx, stack)) continue;
      for (const wire of ["connect", "grpc"] as const) {
        if (!supports(stack, "2", wire)) continue;
        entries.push(streamingEntry(ctx, test.kind, stack, wire, `${stack}/${wire}`));
      }
    }
    for (const [k, rounds] of await runCase(ctx, entries)) measured.set(k, figures(rounds).rate);
    for (const wire of ["connect", "grpc"] as const) {
      const cells: Partial<Record<StackName, Cell>> = {};
      for (const stack of STACKS[test.kind]) {
        let cell = measured.get(`${stack}/${wire}`);
        // grpc-js speaks gRPC only: the Connect row shows its gRPC figure, which the targets compare.
        if (cell === undefined && stack === "grpc-js")
          cell = noted(measured.get(`${stack}/grpc`), "gRPC");
        if (cell !== undefined) cells[stack] = cell;
      }
      ctx.report.add({
        section: "streaming",
        name: `${test.name}, h2c ${wire === "grpc" ? "gRPC" : "Connect"}`,
        unit: test.unit,
        higherIsBetter: true,
        cells,
      });
    }
  }
}
