import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodePayload, envelope, LARGE_BYTES, makeData, SMALL_BYTES } from "../payload.js";
import { supports } from "../stacks/index.js";
import { type HttpVersion, methodPath, STACKS, type StackName, type Wire } from "../types.js";
import {
  type ChildScope,
  type Figures,
  figures,
  noted,
  type RunContext,
  wants,
} from "./context.js";
import { checkEcho } from "./echo-check.js";
import { h2load, wrk } from "./load-tools.js";
import type { Cell } from "./report.js";
import { type Entrant, type Entry, runCase } from "./turns.js";

/** A server-side unary case: protocol, HTTP version and message size. */
export interface Case {
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

/** Human name of a case, e.g. "h2c Connect 100 B". */
export function caseName(httpVersion: HttpVersion, wire: Wire, size?: number): string {
  const proto = wire === "grpc" ? "gRPC" : "Connect";
  const http = httpVersion === "2" ? "h2c" : "HTTP/1.1";
  const bytes = size === undefined ? "" : size >= 1024 * 1024 ? " 1 MiB" : ` ${size} B`;
  return `${http} ${proto}${bytes}`;
}

/** A request the load generator sends: its body file, the body and the headers. */
export interface Request {
  readonly bodyFile: string;
  readonly body: Uint8Array;
  readonly headers: Record<string, string>;
}

export function writeRequest(ctx: RunContext, wire: Wire, size: number): Request {
  const message = encodePayload(makeData(size));
  const body = wire === "grpc" ? envelope(message) : message;
  const bodyFile = join(ctx.scratch, `unary-${wire}-${size}.bin`);
  writeFileSync(bodyFile, body);
  const headers: Record<string, string> =
    wire === "grpc"
      ? { "content-type": "application/grpc", te: "trailers" }
      : { "content-type": "application/proto", "connect-protocol-version": "1" };
  return { bodyFile, body, headers };
}

/**
 * The stacks of a case and the protocol each speaks in it. grpc-js has no
 * Connect: in an h2c Connect case it runs gRPC, the figure the targets set
 * ours beside, in the same turns as ours.
 */
export function entriesOf(
  ctx: RunContext,
  httpVersion: HttpVersion,
  wire: Wire,
): { stack: StackName; wire: Wire }[] {
  const out: { stack: StackName; wire: Wire }[] = [];
  for (const stack of STACKS) {
    if (!wants(ctx, stack)) continue;
    if (supports(stack, httpVersion, wire)) out.push({ stack, wire });
    else if (stack === "grpc-js" && httpVersion === "2") out.push({ stack, wire: "grpc" });
  }
  return out;
}

/** One stack's server in a unary case, speaking `wire`. */
export interface UnaryEntrySpec extends Case {
  readonly stack: StackName;
}

/**
 * A stack's server under a load generator that is not ours: started,
 * checked with one request, warmed up; each round then reads the server's
 * CPU time around one run of the load generator, for its cost per request.
 */
export function unaryEntry(
  ctx: RunContext,
  spec: UnaryEntrySpec,
  key: string,
  request: Request,
): Entry {
  const { httpVersion, wire, size, stack } = spec;
  const large = size > 64 * 1024;
  const tool = httpVersion === "2" ? h2load : wrk;
  return {
    key,
    async start(scope: ChildScope): Promise<Entrant> {
      const label = `unary-${stack}-h${httpVersion}-${wire}-${size}`;
      const { baseUrl, server } = await scope.server({ stack, httpVersion }, label);
      const url = baseUrl + methodPath("Unary");
      await checkEcho(url, httpVersion, wire, request.headers, request.body);
      const load = {
        url,
        bodyFile: request.bodyFile,
        headers: request.headers,
        connections: httpVersion === "2" ? (large ? 2 : 8) : large ? 8 : 64,
        streams: large ? 4 : 16,
        warmupSeconds: 0,
        roundSeconds: ctx.config.roundSeconds,
        rounds: 1,
        cpu: ctx.pin.load,
        scratch: ctx.scratch,
      };
      await tool({ ...load, warmupSeconds: ctx.config.warmupSeconds, rounds: 0 });
      return {
        key,
        async measure() {
          const cpu0 = await server.call<number>("cpu");
          const [round] = await tool(load);
          const cpu1 = await server.call<number>("cpu");
          const count = round!.count ?? 0;
          return { ...round!, cpuMicros: count > 0 ? (cpu1 - cpu0) / count : undefined };
        },
      };
    },
  };
}

/**
 * Server side, unary: h2load (HTTP/2) or wrk (HTTP/1.1) sends the same
 * request to each stack's server; requests per second and p50/p99 latency.
 * The servers of a case run side by side and take turns, a round each.
 */
export async function serverUnary(ctx: RunContext): Promise<void> {
  const results = new Map<string, Figures>();
  const key = (c: Case, stack: StackName) => `${c.httpVersion}/${c.wire}/${c.size}/${stack}`;
  for (const c of CASES) {
    const requests = {
      connect: writeRequest(ctx, "connect", c.size),
      grpc: writeRequest(ctx, "grpc", c.size),
    };
    ctx.report.log(`server unary: ${caseName(c.httpVersion, c.wire, c.size)}`);
    const entries = entriesOf(ctx, c.httpVersion, c.wire).map(({ stack, wire }) =>
      unaryEntry(ctx, { ...c, stack, wire }, key(c, stack), requests[wire]),
    );
    for (const [k, rounds] of await runCase(ctx, entries)) results.set(k, figures(rounds));
  }
  for (const c of CASES) {
    const name = `unary ${caseName(c.httpVersion, c.wire, c.size)}`;
    const cellsOf = (pick: (f: Figures) => Cell): Partial<Record<StackName, Cell>> => {
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
