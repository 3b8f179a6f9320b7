import type { Round } from "../child/load.js";
import { supports } from "../stacks/index.js";
import type { StackName } from "../types.js";
import {
  attempt,
  figures,
  noted,
  type RunContext,
  wants,
  withLoadChild,
  withServer,
} from "./context.js";
import type { Cell } from "./report.js";

/** Bytes in each message of the streaming cases. */
const MESSAGE_BYTES = 1024;

const STACKS: readonly StackName[] = ["ours", "connect-es", "grpc-js"];

/**
 * Streaming over h2c, each stack's client against its own server: messages
 * per second of server streams of 1 KiB messages, and round trips per second
 * of ping-pong on one bidi stream.
 */
export async function streaming(ctx: RunContext): Promise<void> {
  const tests = [
    { kind: "serverStreamLoad", name: "server stream 1 KiB messages", unit: "msgs/s" },
    { kind: "bidiLoad", name: "bidi ping-pong 1 KiB", unit: "round trips/s" },
  ] as const;
  for (const test of tests) {
    const measured = new Map<string, Cell>();
    for (const stack of STACKS) {
      if (!wants(ctx, stack)) continue;
      for (const wire of ["connect", "grpc"] as const) {
        if (!supports(stack, "2", wire)) continue;
        const label = `${test.kind}-${stack}-${wire}`;
        ctx.report.log(`streaming: ${test.name} over h2c ${wire} on ${stack}`);
        const rounds = await attempt(() =>
          withServer(ctx, { stack, httpVersion: "2" }, label, (baseUrl) =>
            withLoadChild(ctx, label, (child) =>
              child.call<Round[]>(test.kind, {
                client: { stack, httpVersion: "2", wire, baseUrl },
                count: ctx.config.streamMessages,
                size: MESSAGE_BYTES,
                warmupMs: ctx.config.warmupSeconds * 1000,
                roundMs: ctx.config.roundSeconds * 1000,
                rounds: ctx.config.rounds,
              }),
            ),
          ),
        );
        measured.set(`${stack}/${wire}`, figures(rounds).rate);
      }
    }
    for (const wire of ["connect", "grpc"] as const) {
      const cells: Partial<Record<StackName, Cell>> = {};
      for (const stack of STACKS) {
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
