/**
 * Inputs up to this many bytes are compressed on the calling thread: for small
 * messages, a round trip through the thread pool costs several times more than
 * the work itself (about 40 us against 280 us for 1 KiB of gzip).
 */
export const INLINE_INPUT_MAX = 32 * 1024;

/**
 * Decompression of a small input also runs on the calling thread, but only when
 * the output limit is at most this: a small bomb can then block the event loop
 * for a few milliseconds at most.
 */
export const INLINE_OUTPUT_MAX = 8 * 1024 * 1024;

/** The largest output a single typed array may hold here (2 GiB - 1, safe on every engine). */
export const ARRAY_MAX = 0x7fffffff;

/** Clamps a caller's limit to what an output buffer can be, and at least 1 for node:zlib. */
export function clampLimit(maxBytes: number): number {
  if (!(maxBytes >= 1)) return 1;
  return Math.min(Math.floor(maxBytes), ARRAY_MAX);
}
