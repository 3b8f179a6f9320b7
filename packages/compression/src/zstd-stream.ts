import { Decompress } from "fzstd";
import { concat } from "./concat.js";
import { corrupt, tooLarge } from "./errors.js";
import { scanZstdFrames, type ZstdScan } from "./zstd-frame.js";

/**
 * The largest window accepted by the streaming decoder, unless the output
 * limit is larger: that decoder allocates the whole declared window up front,
 * so a tiny frame must not be able to ask for gigabytes. 8 MiB is the window
 * of zstd's own level 19.
 */
const WINDOW_FLOOR = 8 * 1024 * 1024;

/** Thrown from the output callback to stop the decoder mid-input. */
const LIMIT = Symbol("limit");

/**
 * Decodes zstd in pure JavaScript, block by block (at most 128 KiB of output
 * each), and stops at the first block that takes the output past `maxBytes`.
 * Used where no native decoder can be told a limit.
 */
export function zstdDecompressStreaming(data: Uint8Array, maxBytes: number): Uint8Array {
  const name = "zstd";
  scanChecked(name, data, maxBytes, true);
  const parts: Uint8Array[] = [];
  let total = 0;
  const decoder = new Decompress((chunk) => {
    if (chunk.length === 0) return;
    total += chunk.length;
    if (total > maxBytes) throw LIMIT;
    parts.push(chunk);
  });
  try {
    decoder.push(data, true);
  } catch (cause) {
    if (cause === LIMIT) throw tooLarge(name, maxBytes);
    throw corrupt(name, cause);
  }
  return concat(parts, total);
}

/**
 * Reads the frame headers, then fails early on what they already tell: bytes
 * that are not zstd frames (`corrupt`), a declared size past the limit, or
 * (for the streaming decoder, which allocates the declared window in full) a
 * window out of proportion to the limit.
 */
export function scanChecked(
  name: string,
  data: Uint8Array,
  maxBytes: number,
  streaming: boolean,
): ZstdScan {
  let scan: ZstdScan;
  try {
    scan = scanZstdFrames(data);
  } catch (cause) {
    throw corrupt(name, cause);
  }
  if (scan.contentSize !== undefined && scan.contentSize > maxBytes) {
    throw tooLarge(name, maxBytes);
  }
  if (streaming && scan.maxWindow > Math.max(maxBytes, WINDOW_FLOOR)) {
    throw tooLarge(name, maxBytes, new Error(`frame window of ${scan.maxWindow} bytes`));
  }
  return scan;
}
