import type { Compression } from "@connect-ts/protocol";
import { compressFailed, corrupt, tooLarge } from "../errors.js";
import { clampLimit, INLINE_INPUT_MAX, INLINE_OUTPUT_MAX } from "../limits.js";

/** A node:zlib style one-shot function: callback form and sync form. */
export interface ZlibPair<O> {
  readonly async: (
    data: Uint8Array,
    options: O,
    cb: (err: Error | null, out: Buffer) => void,
  ) => void;
  readonly sync: (data: Uint8Array, options: O) => Buffer;
}

/** What {@link zlibCodec} needs to know of one algorithm. */
export interface ZlibEngine<O> {
  readonly name: string;
  /** Options for compressing `data` (the size lets brotli take a hint). */
  compressOptions(data: Uint8Array): O;
  readonly compress: ZlibPair<O>;
  /** Picks the decoder for an input; `deflate` looks at the header to accept raw streams too. */
  decompressFor(data: Uint8Array): ZlibPair<{ maxOutputLength: number }>;
}

/**
 * Builds a `Compression` on node:zlib. Small inputs run on the calling thread,
 * larger ones on libuv's pool. Decompression passes the limit to node:zlib as
 * `maxOutputLength`, which stops the inflater at the first output chunk past it.
 */
export function zlibCodec<O>(engine: ZlibEngine<O>): Compression {
  const { name } = engine;
  return {
    name,
    async compress(data) {
      const options = engine.compressOptions(data);
      try {
        if (data.length <= INLINE_INPUT_MAX) return engine.compress.sync(data, options);
        return await run(engine.compress.async, data, options);
      } catch (cause) {
        throw compressFailed(name, cause);
      }
    },
    async decompress(data, maxBytes) {
      if (data.length === 0) return new Uint8Array(0);
      const pair = engine.decompressFor(data);
      const options = { maxOutputLength: clampLimit(maxBytes) };
      let out: Uint8Array;
      try {
        out =
          data.length <= INLINE_INPUT_MAX && maxBytes <= INLINE_OUTPUT_MAX
            ? pair.sync(data, options)
            : await run(pair.async, data, options);
      } catch (cause) {
        throw decodeError(name, maxBytes, cause);
      }
      // maxOutputLength is at least 1, so an empty-limit call is checked here.
      if (out.length > maxBytes) throw tooLarge(name, maxBytes);
      return compact(out);
    },
  };
}

/** Maps a node:zlib failure to the ConnectError the `Compression` contract asks for. */
export function decodeError(name: string, maxBytes: number, cause: unknown) {
  const code = (cause as { code?: unknown } | null)?.code;
  if (code === "ERR_BUFFER_TOO_LARGE") return tooLarge(name, maxBytes, cause);
  return corrupt(name, cause);
}

/**
 * node:zlib hands back small outputs as views into 16 KiB chunks. A decoded
 * message can live long (Protobuf `bytes` fields are views into it), so a
 * small one is copied out rather than keeping the whole chunk alive.
 */
function compact(out: Uint8Array): Uint8Array {
  // A copy made by the constructor: Buffer#slice would share the memory.
  return out.byteLength * 2 < out.buffer.byteLength ? new Uint8Array(out) : out;
}

function run<O>(fn: ZlibPair<O>["async"], data: Uint8Array, options: O): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    fn(data, options, (err, out) => (err ? reject(err) : resolve(out)));
  });
}
