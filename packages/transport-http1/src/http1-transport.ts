import {
  Code,
  ConnectError,
  type HttpRequest,
  type HttpResponse,
  type Transport,
} from "@connect-ts/protocol";
import { Agent, type Dispatcher } from "undici";
import { abortError } from "./errors.js";
import { Http1Exchange } from "./http1-exchange.js";
import { toUndiciHeaders } from "./headers.js";
import { type Http1TransportOptions, nonNegative } from "./options.js";
import { StoppableBody } from "./request-body.js";

/**
 * Creates a transport that speaks HTTP/1.1 through undici, with a pool of
 * keep-alive connections per origin.
 *
 * HTTP/1.1 is half duplex here: a request body is sent whole before the
 * response is read, so `fullDuplex` is false. A streaming request body (a
 * client stream, or a bidi stream, which becomes half duplex) is still sent
 * chunk by chunk as it is produced, with chunked encoding and backpressure;
 * the response, too, is delivered chunk by chunk as it arrives.
 *
 * Failures are `ConnectError`s with the underlying error as `cause`:
 * `unavailable` when the server cannot be reached or the connection drops,
 * `canceled` or `deadline_exceeded` when the request's signal aborts
 * (following its reason; the socket work stops at once), `internal` for
 * malformed HTTP. A connection lost while a response body is being read ends
 * that body with `unavailable`.
 *
 * @example
 * const transport = createHttp1Transport({ baseUrl: "https://api.example.com" });
 */
export function createHttp1Transport(options: Http1TransportOptions): Http1Transport {
  return new Http1TransportImpl(options);
}

/** The {@link Transport} returned by {@link createHttp1Transport}. */
export interface Http1Transport extends Transport, AsyncDisposable {
  readonly httpVersion: "1.1";
  readonly fullDuplex: false;
  /** Same as {@link Transport.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

class Http1TransportImpl implements Http1Transport {
  readonly baseUrl: string;
  readonly httpVersion = "1.1" as const;
  readonly fullDuplex = false as const;
  readonly #dispatcher: Dispatcher;
  /** Whether the dispatcher is ours to close. */
  readonly #owned: boolean;
  /** The base URL's origin, e.g. `https://api.example.com:8443`. */
  readonly #baseOrigin: string;
  #closed = false;
  #closing: Promise<void> | undefined;
  /**
   * Never aborted: calls that carry it get no abort listener. See
   * `Transport.uncancellableSignal`.
   */
  readonly uncancellableSignal: AbortSignal = new AbortController().signal;

  constructor(options: Http1TransportOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch (error) {
      throw new TypeError(`invalid baseUrl: ${options.baseUrl}`, { cause: error });
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new TypeError(`baseUrl must be http:// or https://, got ${options.baseUrl}`);
    }
    this.baseUrl = options.baseUrl;
    this.#baseOrigin = url.origin;
    this.#owned = options.dispatcher === undefined;
    const keepAlive = Math.max(
      1,
      nonNegative("keepAliveTimeoutMs", options.keepAliveTimeoutMs, 4_000),
    );
    this.#dispatcher =
      options.dispatcher ??
      new Agent({
        connections: Math.max(1, Math.floor(nonNegative("connections", options.connections, 64))),
        keepAliveTimeout: keepAlive,
        // undici follows the server's Keep-Alive hint up to this; ours is the upper bound.
        keepAliveMaxTimeout: keepAlive,
        // Deadlines belong to the caller's signal: a stream may rightly be quiet for long.
        headersTimeout: 0,
        bodyTimeout: 0,
        connect: {
          ...options.tls,
          timeout: nonNegative("connectTimeoutMs", options.connectTimeoutMs, 10_000),
        },
      });
  }

  request(request: HttpRequest): Promise<HttpResponse> {
    if (this.#closed) {
      return Promise.reject(new ConnectError("transport is closed", Code.Unavailable));
    }
    if (request.signal.aborted) return Promise.reject(abortError(request.signal));
    let origin: string;
    let path: string;
    const url = request.url;
    // The common case, a URL under the base URL, needs no URL parsing.
    if (url.startsWith(this.#baseOrigin) && url.charCodeAt(this.#baseOrigin.length) === 47) {
      origin = this.#baseOrigin;
      path = url.slice(origin.length);
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
      origin = parsed.origin;
      path = parsed.pathname + parsed.search;
    }
    const body = request.body;
    const streamed =
      body === undefined || body instanceof Uint8Array ? undefined : new StoppableBody(body);
    const exchange = new Http1Exchange(
      request,
      streamed,
      request.signal !== this.uncancellableSignal,
    );
    try {
      this.#dispatcher.dispatch(
        {
          origin,
          path,
          method: request.method,
          headers: toUndiciHeaders(request.headers),
          // undici streams async iterables (documented) though its types omit them.
          body: (streamed ?? body ?? null) as Dispatcher.DispatchOptions["body"],
        },
        exchange,
      );
    } catch (error) {
      // undici validates synchronously: an invalid header name or value lands here.
      exchange.onResponseError(undefined, error as Error);
    }
    return exchange.promise;
  }

  close(): Promise<void> {
    this.#closed = true;
    if (!this.#owned) return Promise.resolve();
    this.#closing ??= this.#dispatcher.close();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
