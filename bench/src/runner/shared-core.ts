import type { StackName, Wire } from "../types.js";
import { figures, noted, type RunContext, wants } from "./context.js";
import type { Cell } from "./report.js";
import { caseName, unaryEntry, writeRequest } from "./server-unary.js";
import { streamingEntry } from "./streaming.js";
import { type Entry, runCase, takeTogether } from "./turns.js";

/** One pairing: ours against one peer, both at once. */
interface Pairing {
  readonly name: string;
  readonly unit: string;
  readonly peer: StackName;
  /** The protocol ours speaks. */
  readonly wire: Wire;
  /** The protocol the peer speaks: grpc-js answers Connect cases over gRPC, as elsewhere. */
  readonly peerWire: Wire;
  readonly entries: (ctx: RunContext) => [ours: Entry, peer: Entry];
}

function peerWireOf(wire: Wire, peer: StackName): Wire {
  return peer === "grpc-js" ? "grpc" : wire;
}

function unary(wire: Wire, peer: StackName): Pairing {
  const peerWire = peerWireOf(wire, peer);
  const c = { httpVersion: "2", wire, size: 100 } as const;
  return {
    name: `unary ${caseName("2", wire, 100)}`,
    unit: "req/s",
    peer,
    wire,
    peerWire,
    entries: (ctx) => [
      unaryEntry(ctx, { ...c, stack: "ours" }, "ours", writeRequest(ctx, wire, 100)),
      unaryEntry(
        ctx,
        { ...c, wire: peerWire, stack: peer },
        peer,
        writeRequest(ctx, peerWire, 100),
      ),
    ],
  };
}

function bidi(wire: Wire, peer: StackName): Pairing {
  const peerWire = peerWireOf(wire, peer);
  return {
    name: `bidi ping-pong 1 KiB, h2c ${wire === "grpc" ? "gRPC" : "Connect"}`,
    unit: "round trips/s",
    peer,
    wire,
    peerWire,
    entries: (ctx) => [
      streamingEntry(ctx, "bidi", "ours", wire, "ours"),
      streamingEntry(ctx, "bidi", peer, peerWire, peer),
    ],
  };
}

/** The pairings: where the targets are closest, and the floor. */
const PAIRINGS: readonly Pairing[] = [
  unary("connect", "grpc-js"),
  unary("connect", "bare"),
  unary("grpc", "grpc-js"),
  bidi("connect", "grpc-js"),
  bidi("grpc", "grpc-js"),
];

/**
 * Ours and one peer at once: both servers on the server core, both load
 * generators on the load core, every round measured at the same moments
 * (see {@link takeTogether}). A stack's rate here is about half what it
 * reaches alone, as it gets about half the CPU; what the rows are for is
 * the ratio, which a shared machine's swings move far less than that of
 * rounds taken one after another.
 */
export async function sharedCore(ctx: RunContext): Promise<void> {
  for (const pairing of PAIRINGS) {
    if (!wants(ctx, "ours") || !wants(ctx, pairing.peer)) continue;
    ctx.report.log(`shared core: ${pairing.name}, ours and ${pairing.peer} at once`);
    const results = await runCase(ctx, pairing.entries(ctx), takeTogether);
    const cells: Partial<Record<StackName, Cell>> = {};
    for (const [stack, rounds] of results) {
      const cell = figures(rounds).rate;
      const borrowed = stack === pairing.peer && pairing.peerWire !== pairing.wire;
      cells[stack as StackName] = borrowed ? noted(cell, "gRPC") : cell;
    }
    ctx.report.add({
      section: "shared core",
      name: `${pairing.name}, with ${pairing.peer}`,
      unit: pairing.unit,
      higherIsBetter: true,
      cells,
    });
  }
}
