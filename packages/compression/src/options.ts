/** Options of the `create*` factories. */
export interface CompressionOptions {
  /**
   * The compression level: higher is smaller and slower. gzip and deflate take
   * 0 to 9, brotli 0 to 11 (its "quality"), zstd 1 to 22 (and negative levels
   * for more speed). Each codec's default favours speed, as fits RPC traffic.
   */
  level?: number;
}

/** Checks that `level` is an integer in `[min, max]`, or returns `fallback` when it is unset. */
export function checkLevel(
  name: string,
  level: number | undefined,
  min: number,
  max: number,
  fallback: number,
): number {
  if (level === undefined) return fallback;
  if (!Number.isInteger(level) || level < min || level > max) {
    throw new RangeError(`${name}: level must be an integer from ${min} to ${max}, got ${level}`);
  }
  return level;
}

/** Default levels, chosen from the figures in the README: fast, with most of the ratio. */
export const defaultLevel = {
  gzip: 1,
  deflate: 1,
  brotli: 4,
  zstd: 3,
} as const;
