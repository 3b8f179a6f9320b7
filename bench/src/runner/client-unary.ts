import type { Round } from "../child/load.js";
import { SMALL_BYTES } from "../payload.js";
import { supports } from "../stacks/index.js";
import type { HttpVersion, StackName, Wire } from "../types.js";
import {
  attempt,
  type Figures,
  figures,
  noted,
  type RunContext,
  wants,
  withLoadChild,
  withServer,
} from "./context.js";
import type { Cell } from "./report.js";
import { caseName } from "./server-unary.js";

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

const STACKS: readonly StackName[] = ["ours", "connect-es", "grpc-js", "bare"];

/**
 * Client side, unary: every client calls the same server, the bare one (the
 * fastest there is), with 1 and 64 calls in flight; calls per second.
 */
export async function clientUnary(ctx: RunContext): Promise<void> {
  const results = new Map<string, Figures>();
  const key = (c: Case, stack: StackName) => `${c.httpVersion}/${c.wire}/${c.concurrency}/${stack}`;
  for (const httpVersion of ["1.1", "2"] as const) {
    const cases = CASES.filter((c) => c.httpVersion === httpVersion);
    const server = await attempt(() =>
      withServer(ctx, { stack: "bare", httpVersion }, `bare-h${httpVersion}`, async (baseUrl) => {
        for (const c of cases) {
          for (const stack of STACKS) {
            if (!wants(ctx, stack) || !supports(stack, c.httpVersion, c.wire)) continue;
            ctx.report.log(
              `client unary: ${caseName(c.httpVersion, c.wire)} x${c.concurrency} on ${stack}`,
            );
            const label = `unary-${stack}-h${c.httpVersion}-${c.wire}-x${c.concurrency}`;
            const rounds = await attempt(() =>
              withLoadChild(ctx, label, (child) =>
                child.call<Round[]>("unaryLoad", {
                  client: { stack, httpVersion, wire: c.wire, baseUrl },
                  size: SMALL_BYTES,
                  concurrency: c.concurrency,
                  warmupMs: ctx.config.warmupSeconds * 1000,
                  roundMs: ctx.config.roundSeconds * 1000,
                  rounds: ctx.config.rounds,
                }),
              ),
            );
            results.set(key(c, stack), figures(rounds));
          }
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
        let f = results.get(key(c, stack));
        let cell = f === undefined ? undefined : pick(f);
        if (f === undefined && stack === "grpc-js" && c.httpVersion === "2") {
          f = results.get(key({ ...c, wire: "grpc" }, stack));
          cell = noted(f === undefined ? undefined : pick(f), "gRPC");
        }
        if (cell !== undefined) cells[stack] = cell;
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
