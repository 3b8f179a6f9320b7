import type { Compression } from "@connect-ts/protocol";
import zlib from "node:zlib";
import { type CompressionOptions, checkLevel, defaultLevel } from "../options.js";
import { hasZlibHeader } from "../zlib-header.js";
import { zlibCodec } from "./zlib-codec.js";

const gunzip = { async: zlib.gunzip, sync: zlib.gunzipSync };
const inflate = { async: zlib.inflate, sync: zlib.inflateSync };
const inflateRaw = { async: zlib.inflateRaw, sync: zlib.inflateRawSync };
const brotliDecompress = { async: zlib.brotliDecompress, sync: zlib.brotliDecompressSync };

/** Creates gzip (`Content-Encoding: gzip`, RFC 1952) on node:zlib. */
export function createGzip(options: CompressionOptions = {}): Compression {
  const level = checkLevel("gzip", options.level, 0, 9, defaultLevel.gzip);
  const compressOptions = { level };
  return zlibCodec<zlib.ZlibOptions>({
    name: "gzip",
    compressOptions: () => compressOptions,
    compress: { async: zlib.gzip, sync: zlib.gzipSync },
    decompressFor: () => gunzip,
  });
}

/**
 * Creates deflate (`Content-Encoding: deflate`): the zlib format of RFC 1950,
 * as HTTP defines it. Raw RFC 1951 streams, which some peers send under the
 * same name, are recognised by their missing zlib header and read too.
 */
export function createDeflate(options: CompressionOptions = {}): Compression {
  const level = checkLevel("deflate", options.level, 0, 9, defaultLevel.deflate);
  const compressOptions = { level };
  return zlibCodec<zlib.ZlibOptions>({
    name: "deflate",
    compressOptions: () => compressOptions,
    compress: { async: zlib.deflate, sync: zlib.deflateSync },
    decompressFor: (data) => (hasZlibHeader(data) ? inflate : inflateRaw),
  });
}

/** Creates brotli (`Content-Encoding: br`, RFC 7932) on node:zlib. `level` is brotli's quality. */
export function createBrotli(options: CompressionOptions = {}): Compression {
  const quality = checkLevel("br", options.level, 0, 11, defaultLevel.brotli);
  const { BROTLI_PARAM_QUALITY, BROTLI_PARAM_SIZE_HINT } = zlib.constants;
  return zlibCodec<zlib.BrotliOptions>({
    name: "br",
    compressOptions: (data) => ({
      params: { [BROTLI_PARAM_QUALITY]: quality, [BROTLI_PARAM_SIZE_HINT]: data.length },
    }),
    compress: { async: zlib.brotliCompress, sync: zlib.brotliCompressSync },
    decompressFor: () => brotliDecompress as typeof gunzip,
  });
}
