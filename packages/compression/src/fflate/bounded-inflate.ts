import { Gunzip, Inflate, Unzlib } from "fflate";
import { corrupt, tooLarge } from "../errors.js";
import { concat } from "../zstd-stream.js";

/** The three framings of DEFLATE that fflate reads as streams. */
export type DeflateFraming = "gzip" | "zlib" | "raw";

/** DEFLATE cannot expand more than this: a 258-byte match costs at least 2 bits. */
const MAX_RATIO = 1032;
const MIN_STEP = 1024;
const MAX_STEP = 64 * 1024;

/** Thrown from the output callback to stop the inflater. */
const LIMIT = Symbol("limit");

/**
 * Inflates in pure JavaScript with a bounded output. fflate inflates a whole
 * pushed chunk before reporting it, so the input is fed in steps small enough
 * that even the most redundant step cannot take the output far past what the
 * limit leaves (at most about 1 MiB beyond it), and the first report past the
 * limit stops the work.
 */
export function inflateBounded(
  name: string,
  framing: DeflateFraming,
  data: Uint8Array,
  maxBytes: number,
): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  const onData = (chunk: Uint8Array) => {
    if (chunk.length === 0) return;
    total += chunk.length;
    if (total > maxBytes) throw LIMIT;
    parts.push(chunk);
  };
  const inflater =
    framing === "gzip"
      ? new Gunzip(onData)
      : framing === "zlib"
        ? new Unzlib(onData)
        : new Inflate(onData);
  try {
    let offset = 0;
    do {
      const budget = Math.max(0, maxBytes - total);
      const step = Math.min(MAX_STEP, Math.max(MIN_STEP, Math.floor(budget / MAX_RATIO)));
      const end = Math.min(data.length, offset + step);
      inflater.push(data.subarray(offset, end), end === data.length);
      offset = end;
    } while (offset < data.length);
  } catch (cause) {
    if (cause === LIMIT) throw tooLarge(name, maxBytes);
    throw corrupt(name, cause);
  }
  return concat(parts, total);
}
