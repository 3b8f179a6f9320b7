/**
 * A walk over the frames of a zstd input that reads headers and block headers
 * only, never decoding: what a bounded decoder must know before it lets a
 * native decoder, which inflates a frame whole, near the data.
 */
export interface ZstdScan {
  /**
   * The total decompressed size when every frame declares its content size,
   * `undefined` when one of them does not (frames written by streaming
   * encoders usually do not).
   */
  readonly contentSize: number | undefined;
  /** The largest window a frame asks the decoder to keep, in bytes. */
  readonly maxWindow: number;
  /** How many frames the input holds, skippable ones included. */
  readonly frames: number;
}

const ZSTD_MAGIC = 0xfd2fb528;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
/** A block never regenerates more than this (the format's Block_Maximum_Size). */
const BLOCK_MAX = 128 * 1024;

/**
 * Scans `data` as a sequence of zstd and skippable frames. Throws an `Error`
 * describing the first defect: a truncated frame, a reserved bit or block type,
 * a dictionary (not supported by the decoders here), or trailing bytes.
 */
export function scanZstdFrames(data: Uint8Array): ZstdScan {
  let pos = 0;
  let contentSize: number | undefined = 0;
  let maxWindow = 0;
  let frames = 0;
  while (pos < data.length) {
    frames++;
    need(data, pos, 4);
    const magic = u32(data, pos);
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      need(data, pos + 4, 4);
      const size = u32(data, pos + 4);
      pos += 8;
      need(data, pos, size);
      pos += size;
      continue;
    }
    if (magic !== ZSTD_MAGIC) throw new Error("not a zstd frame");
    pos += 4;
    need(data, pos, 1);
    const descriptor = data[pos++]!;
    const fcsFlag = descriptor >> 6;
    const singleSegment = (descriptor >> 5) & 1;
    const hasChecksum = (descriptor >> 2) & 1;
    const dictFlag = descriptor & 3;
    if (descriptor & 0x08) throw new Error("reserved bit set in frame header");
    let window = 0;
    if (singleSegment === 0) {
      need(data, pos, 1);
      const wd = data[pos++]!;
      const base = 2 ** (10 + (wd >> 3));
      window = base + (base / 8) * (wd & 7);
    }
    if (dictFlag !== 0) throw new Error("frames that need a dictionary are not supported");
    const fcsBytes = fcsFlag === 0 ? singleSegment : 1 << fcsFlag;
    need(data, pos, fcsBytes);
    let frameSize: number | undefined;
    if (fcsBytes === 1) frameSize = data[pos]!;
    else if (fcsBytes === 2) frameSize = (data[pos]! | (data[pos + 1]! << 8)) + 256;
    else if (fcsBytes === 4) frameSize = u32(data, pos);
    else if (fcsBytes === 8) frameSize = u32(data, pos) + u32(data, pos + 4) * 2 ** 32;
    pos += fcsBytes;
    if (singleSegment === 1) window = frameSize ?? 0;
    if (window > maxWindow) maxWindow = window;
    if (frameSize === undefined) contentSize = undefined;
    else if (contentSize !== undefined) contentSize += frameSize;
    pos = skipBlocks(data, pos);
    if (hasChecksum) {
      need(data, pos, 4);
      pos += 4;
    }
  }
  return { contentSize, maxWindow, frames };
}

function skipBlocks(data: Uint8Array, start: number): number {
  let pos = start;
  for (;;) {
    need(data, pos, 3);
    const header = data[pos]! | (data[pos + 1]! << 8) | (data[pos + 2]! << 16);
    pos += 3;
    const last = header & 1;
    const type = (header >> 1) & 3;
    const size = header >>> 3;
    if (type === 3) throw new Error("reserved block type");
    if (size > BLOCK_MAX) throw new Error("block larger than the format allows");
    // An RLE block stores one byte whatever it regenerates; the others store `size`.
    const stored = type === 1 ? 1 : size;
    need(data, pos, stored);
    pos += stored;
    if (last) return pos;
  }
}

function need(data: Uint8Array, pos: number, count: number): void {
  if (pos + count > data.length) throw new Error("truncated frame");
}

function u32(data: Uint8Array, pos: number): number {
  return (
    (data[pos]! | (data[pos + 1]! << 8) | (data[pos + 2]! << 16) | (data[pos + 3]! << 24)) >>> 0
  );
}

/**
 * Writes the content size into the header of a single zstd frame that lacks
 * one (the native binding's encoder streams and leaves it out). Decoders that
 * inflate a frame whole can then check the size against their limit before
 * they start, and enforce it while they run. Returns `frame` unchanged when it
 * already has a size or is not a frame this function recognises.
 */
export function declareContentSize(frame: Uint8Array, size: number): Uint8Array {
  if (frame.length < 6 || u32(frame, 0) !== ZSTD_MAGIC) return frame;
  const descriptor = frame[4]!;
  // Only the plain case: no size, a window descriptor, no dictionary.
  if (descriptor >> 6 !== 0 || (descriptor >> 5) & 1 || descriptor & 3) return frame;
  const wide = size > 0xffffffff;
  const fieldBytes = wide ? 8 : 4;
  const headerEnd = 6; // magic, descriptor, window descriptor
  const out = new Uint8Array(frame.length + fieldBytes);
  out.set(frame.subarray(0, headerEnd), 0);
  out[4] = descriptor | ((wide ? 3 : 2) << 6);
  let value = size;
  for (let i = 0; i < fieldBytes; i++) {
    out[headerEnd + i] = value % 256;
    value = Math.floor(value / 256);
  }
  out.set(frame.subarray(headerEnd), headerEnd + fieldBytes);
  return out;
}
