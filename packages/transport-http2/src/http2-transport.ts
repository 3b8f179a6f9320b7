import {
  Code,
  ConnectError,
  type HttpRequest,
  type HttpResponse,
  type Transport,
} from "@connect-ts/protocol";
import { abortError } from "./errors.js";
import { Http2Exchange } from "./http2-exchange.js";
import { toHttp2Headers } from "./headers.js";
import { type Http2TransportOptions, type ResolvedOptions, resolveOptions } from "./options.js";
import { SessionPool } from "./session-pool.js";

/** An origin's pool with what every request to it needs, worked out once. */
interface Origin {
  readonly pool: SessionPool;
  readonly scheme: string;
  /** `host[:port]`, the `:authority` pseudo-header. */
  readonly authority: string;
}

/**
 * Creates a transport that speaks HTTP/2 with a pool of sessions per origin.
 *
 * It is full duplex: `request()` resolves as soon as the response headers
 * arrive, while a streaming request body may still be sending, so bidi
 * streams can receive before they finish sending. Bodies are streamed both
 * ways with backpressure and HTTP/2 flow control.
 *
 * `http://` URLs use cleartext HTTP/2 with prior knowledge (h2c); `https://`
 * URLs use TLS with ALPN `h2`, with an optional custom CA and client
 * certificate (`tls`).
 *
 * Failures are `ConnectError`s with the underlying error as `cause`:
 * `unavailable` when the peer cannot be reached or refused or dropped the
 * stream before answering, `canceled` or `deadline_exceeded` when the
 * request's signal aborts (following its reason), `internal` for HTTP/2
 * protocol errors. A connection lost while a response body is being read ends
 * that body with `unavailable`.
 *
 * @example
 * const transport = createHttp2Transport({ baseUrl: "https://api.example.com" });
 */
export function createHttp2Transport(options: Http2TransportOptions): Http2Transport {
  return new Http2TransportImpl(options);
}

/** The {@link Transport} returned by {@link createHttp2Transport}, with a diagnostic. */
export interface Http2Transport extends Transport, AsyncDisposable {
  readonly httpVersion: "2";
  readonly fullDuplex: true;
  /** How many sessions to the base URL's origin are open (connecting, active, idle or draining). */
  readonly sessionCount: number;
  /** Same as {@link Transport.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

class Http2TransportImpl implements Http2Transport {
  readonly baseUrl: string;
  readonly httpVersion = "2" as const;
  readonly fullDuplex = true;
  readonly #options: ResolvedOptions;
  /** The base URL's origin, e.g. `https://api.example.com:8443`. */
  readonly #baseOrigin: string;
  readonly #base: Origin;
  readonly #origins = new Map<string, Origin>();
  #closed = false;
  /**
   * Never aborted: calls that carry it get no abort listener. See
   * `Transport.uncancellableSignal`.
   */
  readonly uncancellableSignal: AbortSignal = new AbortController().signal;

  constructor(options: Http2TransportOptions) {
    const url = parseBaseUrl(options.baseUrl);
    this.baseUrl = options.baseUrl;
    this.#options = resolveOptions(options);
    this.#baseOrigin = url.origin;
    this.#base = this.#createOrigin(url);
  }

  request(request: HttpRequest): Promise<HttpResponse> {
    if (this.#closed) {
      return Promise.reject(new ConnectError("transport is closed", Code.Unavailable));
    }
    if (request.signal.aborted) return Promise.reject(abortError(request.signal));
    let origin: Origin;
    let path: string;
    const url = request.url;
    // The common case, a URL under the base URL, needs no URL parsing.
    if (url.startsWith(this.#baseOrigin) && url.charCodeAt(this.#baseOrigin.length) === 47) {
      origin = this.#base;
      path = url.slice(this.#baseOrigin.length);
    } else {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch (error) {
        return Promise.reject(
          new ConnectError(`invalid request URL: ${url}`, Code.InvalidArgument, { cause: error }),
        );
      }
      if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
        return Promise.reject(
          new ConnectError(`unsupported URL scheme: ${parsed.protocol}`, Code.InvalidArgument),
        );
      }
      origin = this.#originOf(parsed);
      path = parsed.pathname + parsed.search;
    }
    const body = request.body;
    let headers: ReturnType<typeof toHttp2Headers>;
    try {
      headers = toHttp2Headers(
        request.method,
        origin.scheme,
        origin.authority,
        path,
        request.headers,
        body instanceof Uint8Array ? body.byteLength : undefined,
      );
    } catch (error) {
      return Promise.reject(ConnectError.from(error, Code.InvalidArgument));
    }
    const exchange = new Http2Exchange(
      origin.pool,
      request,
      headers,
      request.signal !== this.uncancellableSignal,
    );
    exchange.start();
    return exchange.promise;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const closing: Promise<void>[] = [];
    for (const origin of this.#origins.values()) closing.push(origin.pool.close());
    await Promise.all(closing);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  get sessionCount(): number {
    return this.#base.pool.sessionCount;
  }

  #originOf(url: URL): Origin {
    return this.#origins.get(url.origin) ?? this.#createOrigin(url);
  }

  #createOrigin(url: URL): Origin {
    const origin: Origin = {
      pool: new SessionPool(url.origin, this.#options),
      scheme: url.protocol.slice(0, -1),
      authority: url.host,
    };
    this.#origins.set(url.origin, origin);
    return origin;
  }
}

function parseBaseUrl(baseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch (error) {
    throw new TypeError(`invalid baseUrl: ${baseUrl}`, { cause: error });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`baseUrl must be http:// or https://, got ${baseUrl}`);
  }
  return url;
}
