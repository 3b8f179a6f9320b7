// Decompression bombs, built without inflating anything: DEFLATE streams are a
// flushed block of zeros repeated (each one stands alone after a full flush),
// zstd frames are run-length blocks written by hand, brotli is a checked-in file.
import { readFileSync } from "node:fs";
import zlib from "node:zlib";

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

/** One MiB of zeros as a byte-aligned, history-free run of DEFLATE blocks. */
const zeroMiB = zlib.deflateRawSync(Buffer.alloc(MiB), {
  level: 9,
  finishFlush: zlib.constants.Z_FULL_FLUSH,
});
/** An empty final block: ends a DEFLATE stream. */
const finalBlock = zlib.deflateRawSync(Buffer.alloc(0));

function rawBody(mib: number): Buffer {
  return Buffer.concat([...Array.from({ length: mib }, () => zeroMiB), finalBlock]);
}

/** A raw DEFLATE stream of `mib` MiB of zeros. */
export function rawDeflateBomb(mib: number): Buffer {
  return rawBody(mib);
}

/** A zlib stream (RFC 1950) of `mib` MiB of zeros, with its Adler-32. */
export function zlibBomb(mib: number): Buffer {
  const length = mib * MiB;
  // Over zeros, Adler-32's low half stays 1 and its high half counts the bytes.
  const adler = ((length % 65521) * 65536 + 1) >>> 0;
  const trailer = Buffer.alloc(4);
  trailer.writeUInt32BE(adler);
  return Buffer.concat([Buffer.from([0x78, 0x01]), rawBody(mib), trailer]);
}

const gzipBombs = new Map<number, Buffer>();

/**
 * A gzip member of `mib` MiB of zeros, with its CRC-32 when this Node can
 * compute it. Kept once made: the CRC of a GiB takes a while.
 */
export function gzipBomb(mib: number): Buffer {
  let bomb = gzipBombs.get(mib);
  if (bomb === undefined) {
    bomb = makeGzipBomb(mib);
    gzipBombs.set(mib, bomb);
  }
  return bomb;
}

function makeGzipBomb(mib: number): Buffer {
  const header = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
  const crc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
  let crc = 0;
  if (crc32 !== undefined) {
    const zeros = Buffer.alloc(MiB);
    for (let i = 0; i < mib; i++) crc = crc32(zeros, crc);
  }
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE((mib * MiB) % 2 ** 32, 4);
  return Buffer.concat([header, rawBody(mib), trailer]);
}

/** 1617 bytes of brotli that inflate to 2 GiB of zeros (see fixtures/make-brotli-bomb.mjs). */
export function brotliBomb(): Buffer {
  return readFileSync(new URL("../fixtures/brotli-bomb.br", import.meta.url));
}

const BLOCK = 128 * 1024;

/**
 * A zstd frame of `blocks` run-length blocks of 128 KiB each (4 bytes per
 * block). `declared` is the content size written in the header (`undefined`
 * for none, as streaming encoders write), and may lie.
 */
export function zstdRleFrame(blocks: number, declared?: number, byte = 0x61): Uint8Array {
  const header =
    declared === undefined
      ? [0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38]
      : [0x28, 0xb5, 0x2f, 0xfd, 0xc0, 0x38, ...u64(declared)];
  const out = new Uint8Array(header.length + blocks * 4);
  out.set(header);
  let p = header.length;
  for (let i = 0; i < blocks; i++) {
    const value = BLOCK * 8 + 2 + (i === blocks - 1 ? 1 : 0);
    out[p++] = value & 255;
    out[p++] = (value >> 8) & 255;
    out[p++] = (value >> 16) & 255;
    out[p++] = byte;
  }
  return out;
}

function u64(n: number): number[] {
  const out: number[] = [];
  let rest = n;
  for (let i = 0; i < 8; i++) {
    out.push(rest % 256);
    rest = Math.floor(rest / 256);
  }
  return out;
}

/** Measures how much memory `fn` leaves in use at its peak, sampled as it runs. */
export async function peakGrowth(fn: () => Promise<unknown>): Promise<number> {
  const before = process.memoryUsage();
  const base = before.rss;
  let peak = 0;
  const sample = () => {
    const now = process.memoryUsage().rss - base;
    if (now > peak) peak = now;
  };
  const timer = setInterval(sample, 5);
  try {
    await fn();
  } catch {
    // The caller checks the error separately; only memory matters here.
  } finally {
    clearInterval(timer);
    sample();
  }
  return peak;
}
