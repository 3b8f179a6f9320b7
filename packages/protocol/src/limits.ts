/** The default largest message a client or router reads: 4 MiB, as Connect and gRPC peers use. */
export const DEFAULT_READ_MAX_BYTES: number = 4 * 1024 * 1024;

/** Messages smaller than this go uncompressed unless configured otherwise. */
export const DEFAULT_COMPRESS_MIN_BYTES = 1024;

/** The envelope's length prefix is a uint32, so no frame can carry more. */
export const MAX_ENVELOPE_PAYLOAD = 0xffffffff;
