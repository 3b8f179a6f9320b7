import { SMALL_BYTES } from "../payload.js";
import { type HttpVersion, STACKS, type StackName, type Wire } from "../types.js";
import {
  attempt,
  type ChildScope,
  type Figures,
  figures,
  noted,
  type RunContext,
  withServer,
} from "./context.js";
import type { Cell } from "./report.js";
import { caseName, entriesOf } from "./server-unary.js";
import { runCase, workloadEntrant } from "./turns.js";

interface Case {
  readonly httpVersion: HttpVersion;
  readonly wire: Wire;
  readonly concurrency: number;
}

const CASES: readonly Case[] = [
  { httpVersion: "1.1", wire: "connect", concurrency: 1 },
  { httpVersion: "1.1", wire: "connect", concurrency: 64 },
  { httpVersion: "2", wire: "connect", concurrency: 1 },
  { httpVersion: "2", wire: "connect", concurrency: 64 },
  { httpVersion: "2", wire: "grpc", concurrency: 1 },
  { httpVersion: "2", wire: "grpc", concurrency: 64 },
];

/**
 * Client side, unary: every client calls the same server, the bare one (the
 * fastest there is), with 1 and 64 calls in flight; calls per second. The
 * clients of a case run side by side, each in its own process, and take
 * turns, a round each.
 */
export async function clientUnary(ctx: RunContext): Promise<void> {
  const results = new Map<string, Figures>();
  const key = (c: Case, stack: StackName) => `${c.httpVersion}/${c.wire}/${c.concurrency}/${stack}`;
  for (const httpVersion of ["1.1", "2"] as const) {
    const cases = CASES.filter((c) => c.httpVersion === httpVersion);
    const server = await attempt(() =>
      withServer(ctx, { stack: "bare", httpVersion }, `bare-h${httpVersion}`, async (baseUrl) => {
        for (const c of cases) {
          ctx.report.log(`client unary: ${caseName(c.httpVersion, c.wire)} x${c.concurrency}`);
          const entries = entriesOf(ctx, httpVersion, c.wire).map(({ stack, wire }) => ({
            key: key(c, stack),
            start: (scope: ChildScope) =>
              workloadEntrant(
                ctx,
                scope,
                key(c, stack),
                `unary-${stack}-h${c.httpVersion}-${wire}-x${c.concurrency}`,
                {
                  kind: "unary",
                  client: { stack, httpVersion, wire, baseUrl },
                  size: SMALL_BYTES,
                  concurrency: c.concurrency,
                },
              ),
          }));
          for (const [k, rounds] of await runCase(ctx, entries)) results.set(k, figures(rounds));
        }
      }),
    );
    if (server instanceof Error) ctx.report.errors.push(`bare server: ${server.message}`);
  }
  for (const c of CASES) {
    const name = `unary ${caseName(c.httpVersion, c.wire)}, ${c.concurrency} in flight`;
    const cellsOf = (pick: (f: Figures) => Cell) => {
      const cells: Partial<Record<StackName, Cell>> = {};
      for (const stack of STACKS) {
        const f = results.get(key(c, stack));
        const cell = f === undefined ? undefined : pick(f);
        // grpc-js ran gRPC in a Connect case (see entriesOf).
        const borrowed = stack === "grpc-js" && c.wire === "connect";
        if (cell !== undefined) cells[stack] = borrowed ? noted(cell, "gRPC")! : cell;
      }
      return cells;
    };
    const section = "client";
    ctx.report.add({
      section,
      name,
      unit: "calls/s",
      higherIsBetter: true,
      cells: cellsOf((f) => f.rate),
    });
    ctx.report.add({
      section,
      name,
      unit: "client CPU µs/call",
      higherIsBetter: false,
      cells: cellsOf((f) => f.cpu),
    });
  }
}
