/**
 * The codecs for runtimes without node:zlib (browsers, edge workers): gzip and
 * deflate on fflate, zstd decompression on fzstd, all in pure JavaScript with
 * the same bounded decompression as the Node build. Brotli, and zstd
 * compression, are not available here and reject with `unimplemented`.
 */
import { createBrotli, createDeflate, createGzip, createZstd } from "./codecs.js";

export { createBrotli, createDeflate, createGzip, createZstd };
export type { CompressionOptions } from "../options.js";

/** gzip at the default level (fast). Name on the wire: `gzip`. */
export const gzip = createGzip();
/** deflate (zlib format) at the default level (fast). Name on the wire: `deflate`. */
export const deflate = createDeflate();
/** brotli: not available in this build; both directions reject with `unimplemented`. */
export const brotli = createBrotli();
/** zstd: decompression only in this build; compression rejects with `unimplemented`. */
export const zstd = createZstd();

/** Which implementation this build uses: `"fflate"` here, `"node"` in the Node build. */
export const runtime: "node" | "fflate" = "fflate";
