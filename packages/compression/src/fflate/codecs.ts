import type { Compression } from "@connect-ts/protocol";
import { gzipSync, zlibSync } from "fflate";
import { compressFailed, notAvailable } from "../errors.js";
import { type CompressionOptions, checkLevel, defaultLevel } from "../options.js";
import { zstdDecompressStreaming } from "../zstd-stream.js";
import { hasZlibHeader } from "../zlib-header.js";
import { type DeflateFraming, inflateBounded } from "./bounded-inflate.js";

type Level = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;

function flateCodec(
  name: string,
  compress: (data: Uint8Array) => Uint8Array,
  framing: (data: Uint8Array) => DeflateFraming,
): Compression {
  return {
    name,
    async compress(data) {
      try {
        return compress(data);
      } catch (cause) {
        throw compressFailed(name, cause);
      }
    },
    async decompress(data, maxBytes) {
      if (data.length === 0) return new Uint8Array(0);
      return inflateBounded(name, framing(data), data, maxBytes);
    },
  };
}

/** Creates gzip on fflate. */
export function createGzip(options: CompressionOptions = {}): Compression {
  const level = checkLevel("gzip", options.level, 0, 9, defaultLevel.gzip) as Level;
  return flateCodec(
    "gzip",
    (data) => gzipSync(data, { level }),
    () => "gzip",
  );
}

/** Creates deflate (zlib format; raw streams are read too) on fflate. */
export function createDeflate(options: CompressionOptions = {}): Compression {
  const level = checkLevel("deflate", options.level, 0, 9, defaultLevel.deflate) as Level;
  return flateCodec(
    "deflate",
    (data) => zlibSync(data, { level }),
    (data) => (hasZlibHeader(data) ? "zlib" : "raw"),
  );
}

/**
 * Brotli has no pure-JavaScript codec here: both directions reject with
 * `unimplemented`. Leave it out of `accept` lists on such runtimes.
 */
export function createBrotli(options: CompressionOptions = {}): Compression {
  checkLevel("br", options.level, 0, 11, defaultLevel.brotli);
  return {
    name: "br",
    compress: async () => {
      throw notAvailable("br", "brotli");
    },
    decompress: async () => {
      throw notAvailable("br", "brotli");
    },
  };
}

/**
 * zstd without node:zlib: decompression runs in pure JavaScript (fzstd),
 * bounded block by block; compression rejects with `unimplemented`, so list
 * zstd in `accept` but do not `send` it on such runtimes.
 */
export function createZstd(options: CompressionOptions = {}): Compression {
  checkLevel("zstd", options.level, -131072, 22, defaultLevel.zstd);
  return {
    name: "zstd",
    compress: async () => {
      throw notAvailable("zstd", "zstd compression");
    },
    decompress: async (data, maxBytes) =>
      data.length === 0 ? new Uint8Array(0) : zstdDecompressStreaming(data, maxBytes),
  };
}
