import type { ConnectionOptions } from "node:tls";
import type { Dispatcher } from "undici";

/**
 * TLS settings for `https://` base URLs: a custom certificate authority,
 * a client certificate for mutual TLS, and the server name to verify.
 */
export type Http1TlsOptions = Pick<
  ConnectionOptions,
  "ca" | "cert" | "key" | "passphrase" | "pfx" | "servername" | "rejectUnauthorized"
>;

/** Options of {@link createHttp1Transport}. */
export interface Http1TransportOptions {
  /** Base URL that request paths are relative to, e.g. `https://api.example.com`. */
  baseUrl: string;
  /** The most connections to keep per origin; further requests queue. Default 64. */
  connections?: number;
  /** How long an idle keep-alive connection stays open. Default 4 000 ms (or less, if the server says so). */
  keepAliveTimeoutMs?: number;
  /** How long to wait for a connection (and TLS handshake) before failing with `unavailable`. Default 10 000 ms. */
  connectTimeoutMs?: number;
  /** TLS settings for `https://` origins. */
  tls?: Http1TlsOptions;
  /**
   * An undici dispatcher to send requests with instead of the transport's own
   * pool (e.g. a `ProxyAgent`, or a `MockAgent` in tests). The pool options
   * above are then ignored, and `close()` leaves the dispatcher open: its
   * owner closes it.
   */
  dispatcher?: Dispatcher;
}

/** Checks a millisecond or count option, and applies its default. */
export function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(value >= 0) || !Number.isFinite(value)) {
    throw new RangeError(`${name} must be a finite number >= 0, got ${value}`);
  }
  return value;
}
