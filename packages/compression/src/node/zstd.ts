import type { Compression } from "@connect-ts/protocol";
import zlib from "node:zlib";
import { compressFailed, corrupt, notAvailable, tooLarge } from "../errors.js";
import { type CompressionOptions, checkLevel, defaultLevel } from "../options.js";
import { declareContentSize } from "../zstd-frame.js";
import { scanChecked, zstdDecompressStreaming } from "../zstd-stream.js";
import { type ZlibPair, zlibCodec } from "./zlib-codec.js";

/** The native binding's two functions, as `@mongodb-js/zstd` 1.x exposes them. */
interface NativeZstd {
  compress(data: Buffer, level?: number): Promise<Buffer>;
  decompress(data: Buffer): Promise<Buffer>;
}

/** node:zlib's zstd functions (Node 22.15 and later), absent from older typings. */
interface ZlibZstd {
  zstdCompress: ZlibPair<object>["async"];
  zstdCompressSync: ZlibPair<object>["sync"];
  zstdDecompress: ZlibPair<{ maxOutputLength: number }>["async"];
  zstdDecompressSync: ZlibPair<{ maxOutputLength: number }>["sync"];
  constants: { ZSTD_c_compressionLevel: number };
}

const ZSTD_MIN_LEVEL = -131072;
const ZSTD_MAX_LEVEL = 22;

/**
 * Creates zstd (`Content-Encoding: zstd`, RFC 8878). Uses node:zlib's zstd
 * where this Node has it (22.15 and later); otherwise `@mongodb-js/zstd`,
 * loaded on first use so that a missing optional dependency only affects zstd.
 */
export function createZstd(options: CompressionOptions = {}): Compression {
  const level = checkLevel(
    "zstd",
    options.level,
    ZSTD_MIN_LEVEL,
    ZSTD_MAX_LEVEL,
    defaultLevel.zstd,
  );
  const fromZlib = zlibZstd();
  if (fromZlib !== undefined) return zstdOnZlib(fromZlib, level);
  return zstdOnBinding(level);
}

/** Returns node:zlib's zstd functions if this runtime has them. */
function zlibZstd(): ZlibZstd | undefined {
  const candidate = zlib as unknown as Partial<ZlibZstd>;
  return typeof candidate.zstdCompress === "function" &&
    typeof candidate.zstdDecompress === "function"
    ? (candidate as ZlibZstd)
    : undefined;
}

function zstdOnZlib(z: ZlibZstd, level: number): Compression {
  const key = z.constants.ZSTD_c_compressionLevel;
  const codec = zlibCodec<object>({
    name: "zstd",
    // pledgedSrcSize writes the content size into the frame header, which lets
    // peers with whole-frame decoders check it against their limit first.
    compressOptions: (data) => ({ params: { [key]: level }, pledgedSrcSize: data.length }),
    compress: { async: z.zstdCompress, sync: z.zstdCompressSync },
    decompressFor: () => ({ async: z.zstdDecompress, sync: z.zstdDecompressSync }),
  });
  const name = "zstd";
  return {
    name,
    compress: codec.compress,
    async decompress(data, maxBytes) {
      if (data.length === 0) return new Uint8Array(0);
      // node:zlib refuses a window past its own bound as corrupt data; a
      // window out of proportion to the limit is refused here instead, as
      // the resource it asks for, as the other zstd decoders do.
      const scan = scanChecked(name, data, maxBytes, true);
      // node:zlib's decoder stops after the first frame (RFC 8878 allows
      // several, and skippable ones): such input goes to the block-by-block
      // decoder, which takes them all.
      if (scan.frames > 1) return zstdDecompressStreaming(data, maxBytes);
      return codec.decompress(data, maxBytes);
    },
  };
}

let binding: Promise<NativeZstd | undefined> | undefined;

/**
 * Loads the native binding once. Its `bindings.js` is used rather than the
 * package's main file because the 1.2 wrapper drops the level argument.
 */
function loadBinding(): Promise<NativeZstd | undefined> {
  binding ??= (async () => {
    for (const specifier of ["@mongodb-js/zstd/bindings.js", "@mongodb-js/zstd"]) {
      try {
        const mod = (await import(specifier)) as { default?: unknown };
        const candidate = (mod.default ?? mod) as Partial<NativeZstd>;
        if (
          typeof candidate.compress === "function" &&
          typeof candidate.decompress === "function"
        ) {
          return candidate as NativeZstd;
        }
      } catch {
        // Not installed, or no prebuilt binary for this platform: try the next.
      }
    }
    return undefined;
  })();
  return binding;
}

function zstdOnBinding(level: number): Compression {
  const name = "zstd";
  return {
    name,
    async compress(data) {
      const native = await loadBinding();
      if (native === undefined) throw notAvailable(name, "zstd compression (@mongodb-js/zstd)");
      try {
        return declareContentSize(await native.compress(asBuffer(data), level), data.length);
      } catch (cause) {
        throw compressFailed(name, cause);
      }
    },
    async decompress(data, maxBytes) {
      if (data.length === 0) return new Uint8Array(0);
      const scan = scanChecked(name, data, maxBytes, false);
      const native = scan.contentSize === undefined ? undefined : await loadBinding();
      // The binding inflates a frame whole: safe only when every frame declares
      // a size within the limit, which the native decoder then enforces (it
      // fails on a frame that regenerates more than it declared).
      if (native === undefined) return zstdDecompressStreaming(data, maxBytes);
      let out: Uint8Array;
      try {
        out = await native.decompress(asBuffer(data));
      } catch (cause) {
        throw corrupt(name, cause);
      }
      if (out.length > maxBytes) throw tooLarge(name, maxBytes);
      return out;
    },
  };
}

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
