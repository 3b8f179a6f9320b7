/**
 * A compression algorithm as the protocols negotiate it by name. The
 * implementations live in `@connect-ts/compression`; nothing in this package
 * compresses anything itself.
 */
export interface Compression {
  /** The name used in `Content-Encoding`, `Connect-Content-Encoding` and `grpc-encoding`, e.g. `gzip`. */
  readonly name: string;
  /** Compresses a whole message. */
  compress(data: Uint8Array): Promise<Uint8Array>;
  /**
   * Decompresses a whole message. Must reject with a `ConnectError` of code
   * `resource_exhausted` as soon as the output would exceed `maxBytes`, without
   * inflating the rest (decompression bombs), and with `invalid_argument` for
   * input that is not valid in this format.
   */
  decompress(data: Uint8Array, maxBytes: number): Promise<Uint8Array>;
}
