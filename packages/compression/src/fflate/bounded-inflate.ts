import { Gunzip, gunzipSync, Inflate, inflateSync, Unzlib, unzlibSync } from "fflate";
import { crc32 } from "../crc32.js";
import { corrupt, tooLarge } from "../errors.js";
import { concat } from "../concat.js";

/** The three framings of DEFLATE that fflate reads. */
export type DeflateFraming = "gzip" | "zlib" | "raw";

/** DEFLATE cannot expand more than this: a 258-byte match costs at least 2 bits. */
const MAX_RATIO = 1032;
/**
 * How far past the limit one step may inflate before the check sees it. The
 * surplus is dropped at once; it buys steps large enough to keep fflate's
 * per-step cost (a window copy) small.
 */
const SLACK = 4 * 1024 * 1024;
const MIN_STEP = 4 * 1024;
const MAX_STEP = 64 * 1024;

/** Thrown from the output callback to stop the inflater. */
const LIMIT = Symbol("limit");

/**
 * Inflates in pure JavaScript with a bounded output. An input too small to
 * pass the limit even at DEFLATE's maximum ratio is inflated in one call.
 * Otherwise fflate's streaming inflater is fed in steps sized so that even
 * the most redundant step cannot take the output more than a few MiB past
 * the limit, and the first report past the limit stops the work.
 */
export function inflateBounded(
  name: string,
  framing: DeflateFraming,
  data: Uint8Array,
  maxBytes: number,
): Uint8Array {
  if (data.length * MAX_RATIO <= maxBytes) {
    const out = inflateWhole(framing, data);
    if (out !== undefined) return out;
  }
  return inflateSteps(name, framing, data, maxBytes);
}

/**
 * One-call inflation, or `undefined` when the streaming path must decide
 * (a gzip input whose size field does not match: several members, or damage).
 * Errors are left to the streaming path too, which reports them precisely.
 */
function inflateWhole(framing: DeflateFraming, data: Uint8Array): Uint8Array | undefined {
  try {
    if (framing === "zlib") return unzlibSync(data);
    if (framing === "raw") return inflateSync(data);
    // fflate's gunzipSync sizes its output from the trailer, which the peer
    // controls, and cuts the output there without a word: so the size must be
    // within the ratio bound, and the CRC must match what came out. Anything
    // else (several members, damage, a lie) goes the streaming way.
    if (data.length < 18) return undefined;
    const isize = u32le(data, data.length - 4);
    if (isize > data.length * MAX_RATIO) return undefined;
    const out = gunzipSync(data);
    if (out.length !== isize || crc32(out) !== u32le(data, data.length - 8)) return undefined;
    return out;
  } catch {
    return undefined;
  }
}

function u32le(data: Uint8Array, pos: number): number {
  return (
    (data[pos]! | (data[pos + 1]! << 8) | (data[pos + 2]! << 16) | (data[pos + 3]! << 24)) >>> 0
  );
}

function inflateSteps(
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
      const budget = Math.max(0, maxBytes - total) + SLACK;
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
