import type { BenchServer, HttpVersion } from "../types.js";

/** Starts the benchmark service on connect-ts. */
export async function startOursServer(_httpVersion: HttpVersion): Promise<BenchServer> {
  throw new Error("connect-ts server adapters have not landed yet");
}
