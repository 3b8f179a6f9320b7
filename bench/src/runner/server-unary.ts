import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodePayload, envelope, LARGE_BYTES, makeData, SMALL_BYTES } from "../payload.js";
import { supports } from "../stacks/index.js";
import { type HttpVersion, methodPath, type StackName, type Wire } from "../types.js";
import {
  attempt,
  type Figures,
  figures,
  noted,
  type RunContext,
  wants,
  withServer,
} from "./context.js";
import { checkEcho } from "./echo-check.js";
import { h2load, wrk } from "./load-tools.js";
import type { Cell } from "./report.js";
import type { Round } from "../child/load.js";

/** A server-side unary case: protocol, HTTP version and message size. */
interface Case {
  readonly httpVersion: HttpVersion;
  readonly wire: Wire;
  readonly size: number;
}

const CASES: readonly Case[] = [
  { httpVersion: "2", wire: "connect", size: SMALL_BYTES },
  { httpVersion: "2", wire: "grpc", size: SMALL_BYTES },
  { httpVersion: "1.1", wire: "connect", size: SMALL_BYTES },
  { httpVersion: "2", wire: "connect", size: LARGE_BYTES },
  { httpVersion: "2", wire: "grpc", size: LARGE_BYTES },
  { httpVersion: "1.1", wire: "connect", size: LARGE_BYTES },
];

const STACKS: readonly StackName[] = ["ours", "connect-es", "grpc-js", "bare"];

/** Human name of a case, e.g. "h2c Connect 100 B". */
export function caseName(httpVersion: HttpVersion, wire: Wire, size?: number): string {
  const proto = wire === "grpc" ? "gRPC" : "Connect";
  const http = httpVersion === "2" ? "h2c" : "HTTP/1.1";
  const bytes = size === undefined ? "" : size >= 1024 * 1024 ? " 1 MiB" : ` ${size} B`;
  return `${http} ${proto}${bytes}`;
}

/**
 * Server side, unary: h2load (HTTP/2) or wrk (HTTP/1.1) sends the same
 * request to each stack's server; requests per second and p50/p99 latency.
 */
export async function serverUnary(ctx: RunContext): Promise<void> {
  const results = new Map<string, Figures>();
  const key = (c: Case, stack: StackName) => `${c.httpVersion}/${c.wire}/${c.size}/${stack}`;
  for (const c of CASES) {
    const message = encodePayload(makeData(c.size));
    const body = c.wire === "grpc" ? envelope(message) : message;
    const bodyFile = join(ctx.scratch, `unary-${c.wire}-${c.size}.bin`);
    writeFileSync(bodyFile, body);
    const headers: Record<string, string> =
      c.wire === "grpc"
        ? { "content-type": "application/grpc", te: "trailers" }
        : { "content-type": "application/proto", "connect-protocol-version": "1" };
    const large = c.size > 64 * 1024;
    for (const stack of STACKS) {
      if (!wants(ctx, stack) || !supports(stack, c.httpVersion, c.wire)) continue;
      const label = `unary-${stack}-h${c.httpVersion}-${c.wire}-${c.size}`;
      ctx.report.log(`server unary: ${caseName(c.httpVersion, c.wire, c.size)} on ${stack}`);
      const rounds = await attempt(() =>
        withServer(ctx, { stack, httpVersion: c.httpVersion }, label, async (baseUrl, server) => {
          const url = baseUrl + methodPath("Unary");
          await checkEcho(url, c.httpVersion, c.wire, headers, body);
          const load = {
            url,
            bodyFile,
            headers,
            connections: c.httpVersion === "2" ? (large ? 2 : 8) : large ? 8 : 64,
            streams: large ? 4 : 16,
            warmupSeconds: ctx.config.warmupSeconds,
            roundSeconds: ctx.config.roundSeconds,
            rounds: ctx.config.rounds,
            cpu: ctx.pin.load,
            scratch: ctx.scratch,
          };
          const tool = c.httpVersion === "2" ? h2load : wrk;
          await tool({ ...load, rounds: 0 });
          // Round by round, so the server's CPU time per request can be read around each.
          const rounds: Round[] = [];
          for (let i = 0; i < ctx.config.rounds; i++) {
            const cpu0 = await server.call<number>("cpu");
            const [round] = await tool({ ...load, warmupSeconds: 0, rounds: 1 });
            const cpu1 = await server.call<number>("cpu");
            const count = round!.count ?? 0;
            rounds.push({ ...round!, cpuMicros: count > 0 ? (cpu1 - cpu0) / count : undefined });
          }
          return rounds;
        }),
      );
      results.set(key(c, stack), figures(rounds));
    }
  }
  for (const c of CASES) {
    const name = `unary ${caseName(c.httpVersion, c.wire, c.size)}`;
    const cellsOf = (pick: (f: Figures) => Cell): Partial<Record<StackName, Cell>> => {
      const cells: Partial<Record<StackName, Cell>> = {};
      for (const stack of STACKS) {
        let f = results.get(key(c, stack));
        let cell = f === undefined ? undefined : pick(f);
        // grpc-js has no Connect: show its gRPC figure beside ours, which is what issue targets compare.
        if (f === undefined && stack === "grpc-js" && c.httpVersion === "2") {
          f = results.get(key({ ...c, wire: "grpc" }, stack));
          cell = noted(f === undefined ? undefined : pick(f), "gRPC");
        }
        if (cell !== undefined) cells[stack] = cell;
      }
      return cells;
    };
    const section = "server";
    ctx.report.add({
      section,
      name,
      unit: "req/s",
      higherIsBetter: true,
      cells: cellsOf((f) => f.rate),
    });
    ctx.report.add({
      section,
      name,
      unit: "ms p50",
      higherIsBetter: false,
      cells: cellsOf((f) => f.p50),
    });
    ctx.report.add({
      section,
      name,
      unit: "ms p99",
      higherIsBetter: false,
      cells: cellsOf((f) => f.p99),
    });
    ctx.report.add({
      section,
      name,
      unit: "server CPU µs/req",
      higherIsBetter: false,
      cells: cellsOf((f) => f.cpu),
    });
  }
}
