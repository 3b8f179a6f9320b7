import type { Compression } from "@connect-ts/protocol";
import * as fflateBuild from "../../src/fflate/index.js";
import * as nodeBuild from "../../src/node/index.js";

/** One build of the package, by the name its `runtime` export gives. */
export interface Build {
  readonly runtime: string;
  readonly gzip: Compression;
  readonly deflate: Compression;
  readonly brotli: Compression;
  readonly zstd: Compression;
}

export const builds: readonly Build[] = [nodeBuild, fflateBuild];

/** Deterministic pseudo-random bytes (xorshift), incompressible. */
export function randomBytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 255;
  }
  return out;
}

/** Text-like, compressible bytes: records with names and numbers. */
export function recordBytes(length: number): Uint8Array {
  const text = Array.from(
    { length: Math.ceil(length / 30) + 1 },
    (_, i) => `{"id":${i},"name":"user-${i % 97}","score":${(i * 7919) % 1000}}`,
  ).join(",");
  return new TextEncoder().encode(text).subarray(0, length);
}
