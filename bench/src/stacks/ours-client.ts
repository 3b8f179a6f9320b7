import type { BenchClient, HttpVersion, Wire } from "../types.js";

/** A connect-ts client for the benchmark service. */
export async function createOursClient(
  _httpVersion: HttpVersion,
  _wire: Wire,
  _baseUrl: string,
): Promise<BenchClient> {
  throw new Error("connect-ts client and transports have not landed yet");
}
