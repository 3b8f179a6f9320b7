import type { Metadata } from "./metadata.js";

/**
 * A body being received: iterate it for chunks as they arrive, or read it whole.
 * Read it once, by one of the two. Errors surface as `ConnectError`.
 */
export interface HttpBody extends AsyncIterable<Uint8Array> {
  /**
   * Reads the rest of the body into one array. Rejects with a `ConnectError`
   * of code `resource_exhausted` as soon as more than `maxBytes` arrive, and
   * cancels the stream, so an oversized body is never buffered whole.
   */
  readAll(maxBytes: number): Promise<Uint8Array>;
  /** Discards whatever is left and releases the stream. Safe to call more than once. */
  cancel(): void;
}

/** What a client runtime asks a {@link Transport} to send. */
export interface HttpRequest {
  readonly method: "GET" | "POST";
  /** The absolute URL, with the query for Connect GET. */
  readonly url: string;
  readonly headers: Metadata;
  /** Bytes for unary calls, a stream of chunks for streaming calls, nothing for GET. */
  readonly body: Uint8Array | AsyncIterable<Uint8Array> | undefined;
  /** Aborting it must stop the request and its response body at once. */
  readonly signal: AbortSignal;
}

/** What a {@link Transport} answers once the response headers have arrived. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: Metadata;
  readonly body: HttpBody;
  /** HTTP trailers; complete once `body` has ended (empty if there were none). */
  readonly trailers: Metadata;
}

/**
 * What a transport is: it moves bytes over HTTP and knows nothing of Protobuf
 * or of which RPC protocol runs over it. `@connect-ts/transport-http1` and
 * `@connect-ts/transport-http2` implement it; so does the in-memory transport
 * used by unit tests.
 *
 * `request` resolves when the response headers arrive and rejects with a
 * `ConnectError` (`unavailable` when the peer could not be reached or reset
 * the stream before answering, `canceled` when the signal aborted,
 * `internal` for protocol violations), with the transport's own error as `cause`.
 */
export interface Transport {
  /** Base URL that method paths are appended to, e.g. `https://api.example.com/v1`. */
  readonly baseUrl: string;
  /** The HTTP version this transport speaks. */
  readonly httpVersion: "1.1" | "2";
  /**
   * Whether responses can be read while the request body is still being sent.
   * True over HTTP/2; false over HTTP/1.1, where bidi streams are half-duplex.
   */
  readonly fullDuplex: boolean;
  /**
   * A signal that never aborts, which this transport recognises and attaches
   * no abort listener to. Clients pass it with calls nobody can cancel (one
   * response, no caller signal, no timeout, no interceptors) instead of a
   * signal of their own: an `AbortController` and a listener per call are a
   * measurable share of a small call's cost. Optional; without it every
   * call gets its own signal.
   */
  readonly uncancellableSignal?: AbortSignal;
  /** Sends one request. */
  request(request: HttpRequest): Promise<HttpResponse>;
  /** Closes idle connections and stops accepting new requests; in-flight ones finish. */
  close(): Promise<void>;
}

/** An incoming request as the handler runtime sees it, whatever server received it. */
export interface ServerRequest {
  readonly method: string;
  /** The path, without the query, e.g. `/eliza.v1.ElizaService/Say`. */
  readonly path: string;
  /** The raw query string without the leading `?` (empty if none). */
  readonly query: string;
  readonly headers: Metadata;
  readonly body: HttpBody;
  /** Aborted when the client goes away or the server cancels in-flight calls on shutdown. */
  readonly signal: AbortSignal;
  readonly httpVersion: "1.1" | "2";
  /**
   * Optional: makes `watcher` the one object this request tells when it
   * aborts, in place of an "abort" listener on {@link ServerRequest.signal}.
   * The handler runtime watches every streaming call for its end; with this
   * it does so without the request making its signal (server adapters may
   * make it only on first read) and without an event listener, both of which
   * cost memory for as long as the call is open.
   *
   * A later call replaces the watcher; `undefined` removes it. Returns false,
   * and keeps no watcher, if the request has aborted already (its `signal`
   * then tells why). The watcher is told at most once, before the signal's
   * own listeners run, with the reason the signal aborts with.
   */
  watchAbort?(watcher: AbortWatcher | undefined): boolean;
}

/** What {@link ServerRequest.watchAbort} tells when a request aborts. */
export interface AbortWatcher {
  /** The request aborted with `reason`, the reason its `signal` has. */
  requestAborted(reason: unknown): void;
}

/**
 * The handler runtime's answer. Headers are final when the promise resolves;
 * a streaming body is sent chunk by chunk as it is produced, and `trailers`
 * (HTTP trailers, for gRPC) are read once the body has ended.
 */
export interface ServerResponse {
  readonly status: number;
  readonly headers: Metadata;
  readonly body: Uint8Array | AsyncIterable<Uint8Array> | undefined;
  readonly trailers?: Metadata;
}

/** A request handler independent of any HTTP server: server adapters call it. */
export type UniversalHandler = (request: ServerRequest) => Promise<ServerResponse>;
