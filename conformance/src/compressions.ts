import { brotli, deflate, gzip, zstd } from "@connect-ts/compression";
import type { Compression } from "@connect-ts/protocol";

/** Every compression algorithm connect-ts offers, in the order a server prefers them. */
const all: readonly Compression[] = [zstd, brotli, gzip, deflate];

/** The compression algorithms the client and server under test offer. */
export function compressions(): Compression[] {
  return [...all];
}
