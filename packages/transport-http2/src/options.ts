import type { Settings } from "node:http2";
import type { ConnectionOptions } from "node:tls";

/**
 * TLS settings for `https://` base URLs: a custom certificate authority,
 * a client certificate for mutual TLS, and the server name to verify.
 */
export type Http2TlsOptions = Pick<
  ConnectionOptions,
  "ca" | "cert" | "key" | "passphrase" | "pfx" | "servername" | "rejectUnauthorized"
>;

/** Options of {@link createHttp2Transport}. */
export interface Http2TransportOptions {
  /**
   * Base URL that request paths are relative to, e.g. `https://api.example.com`.
   * `http://` speaks cleartext HTTP/2 with prior knowledge (h2c); `https://`
   * speaks TLS and negotiates `h2` with ALPN.
   */
  baseUrl: string;
  /** TLS settings for `https://` origins. */
  tls?: Http2TlsOptions;
  /** How long to wait for a connection (and TLS handshake) before failing with `unavailable`. Default 10 000 ms. */
  connectTimeoutMs?: number;
  /**
   * Send a keepalive PING this often on each session that has calls in flight
   * (on idle sessions too with {@link Http2TransportOptions.pingIdle}). A PING
   * unanswered for {@link Http2TransportOptions.pingTimeoutMs} closes the
   * session and fails its calls with `unavailable`. Off by default.
   */
  pingIntervalMs?: number;
  /** How long a keepalive PING may wait for its answer. Default 15 000 ms. */
  pingTimeoutMs?: number;
  /** Also ping sessions that have no call in flight. Default false. */
  pingIdle?: boolean;
  /**
   * Close a session after it has had no call in flight for this long.
   * Idle sessions never keep the process alive either way. Default 300 000 ms.
   */
  idleTimeoutMs?: number;
  /**
   * The most sessions (connections) to open per origin. A new session is
   * opened when every open one has reached the peer's MAX_CONCURRENT_STREAMS;
   * past this limit, requests wait for a stream to finish. Default 64.
   */
  maxSessions?: number;
  /** HTTP/2 settings this client announces (e.g. `initialWindowSize`). */
  settings?: Settings;
}

/** Options with every default filled in. */
export interface ResolvedOptions {
  readonly tls: Http2TlsOptions | undefined;
  readonly connectTimeoutMs: number;
  readonly pingIntervalMs: number;
  readonly pingTimeoutMs: number;
  readonly pingIdle: boolean;
  readonly idleTimeoutMs: number;
  readonly maxSessions: number;
  readonly settings: Settings | undefined;
}

/** Applies the defaults and checks the numbers. */
export function resolveOptions(options: Http2TransportOptions): ResolvedOptions {
  return {
    tls: options.tls,
    connectTimeoutMs: positive("connectTimeoutMs", options.connectTimeoutMs, 10_000),
    pingIntervalMs: positive("pingIntervalMs", options.pingIntervalMs, 0),
    pingTimeoutMs: positive("pingTimeoutMs", options.pingTimeoutMs, 15_000),
    pingIdle: options.pingIdle ?? false,
    idleTimeoutMs: positive("idleTimeoutMs", options.idleTimeoutMs, 300_000),
    maxSessions: Math.max(1, Math.floor(positive("maxSessions", options.maxSessions, 64))),
    settings: options.settings,
  };
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(value >= 0) || !Number.isFinite(value)) {
    throw new RangeError(`${name} must be a finite number >= 0, got ${value}`);
  }
  return value;
}
