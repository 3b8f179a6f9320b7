/**
 * The codecs on Node.js: gzip, deflate and brotli from node:zlib, zstd from
 * node:zlib or `@mongodb-js/zstd`. Runtimes without node:zlib get the same
 * names from the fflate build (see the package's `exports`).
 */
import { createBrotli, createDeflate, createGzip } from "./zlib-codecs.js";
import { createZstd } from "./zstd.js";

export { createBrotli, createDeflate, createGzip, createZstd };
export type { CompressionOptions } from "../options.js";

/** gzip at the default level (fast). Name on the wire: `gzip`. */
export const gzip = createGzip();
/** deflate (zlib format) at the default level (fast). Name on the wire: `deflate`. */
export const deflate = createDeflate();
/** brotli at the default quality (4). Name on the wire: `br`. */
export const brotli = createBrotli();
/** zstd at the default level (3). Name on the wire: `zstd`. */
export const zstd = createZstd();

/** Which implementation this build uses: `"node"` here, `"fflate"` in the portable build. */
export const runtime: "node" | "fflate" = "node";
