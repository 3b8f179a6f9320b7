import { Code } from "./code.js";
import { ConnectError } from "./connect-error.js";
import type { Router } from "./handler-types.js";
import { abortError, createHttpBody, raceAbort } from "./http-body.js";
import type { HttpRequest, HttpResponse, Transport, UniversalHandler } from "./http.js";
import { Metadata } from "./metadata.js";

/** Options of {@link createMemoryTransport}. */
export interface MemoryTransportOptions {
  /** The base URL requests appear to go to. Default `http://in-memory`. */
  baseUrl?: string;
  /**
   * `"2"` (the default) is full duplex: the handler reads the request stream
   * while the client writes it. `"1.1"` is half duplex: the whole request body
   * is gathered before the handler sees it, as over HTTP/1.1.
   */
  httpVersion?: "1.1" | "2";
}

/**
 * A transport that hands requests straight to a router (or any universal
 * handler) in the same process: no sockets, no serialization of HTTP. For
 * unit tests of clients, handlers and interceptors. Cancellation works as over
 * a network: aborting the request aborts the handler's signal and ends the
 * response body at once.
 */
export function createMemoryTransport(
  handler: Router | UniversalHandler,
  options: MemoryTransportOptions = {},
): Transport {
  const handle = typeof handler === "function" ? handler : handler.handle;
  const httpVersion = options.httpVersion ?? "2";
  const fullDuplex = httpVersion === "2";
  let closed = false;
  return {
    baseUrl: options.baseUrl ?? "http://in-memory",
    httpVersion,
    fullDuplex,
    async request(req: HttpRequest): Promise<HttpResponse> {
      if (closed) throw new ConnectError("transport is closed", Code.Unavailable);
      if (req.signal.aborted) throw abortError(req.signal);
      const url = new URL(req.url);
      const server = new AbortController();
      const onAbort = () => server.abort(abortError(req.signal));
      req.signal.addEventListener("abort", onAbort, { once: true });
      const detach = () => req.signal.removeEventListener("abort", onAbort);
      try {
        let body = req.body;
        if (!fullDuplex && body !== undefined && !(body instanceof Uint8Array)) {
          body = await raceAbort(gather(body), req.signal);
        }
        const res = await raceAbort(
          handle({
            method: req.method,
            path: url.pathname,
            query: url.search.slice(1),
            headers: new Metadata(req.headers),
            body: createHttpBody(body, server.signal),
            signal: server.signal,
            httpVersion,
          }),
          req.signal,
        );
        const trailers = new Metadata();
        const source = res.body;
        let responseBody: Uint8Array | AsyncIterable<Uint8Array> | undefined;
        if (source === undefined || source instanceof Uint8Array) {
          if (res.trailers !== undefined) trailers.merge(res.trailers);
          responseBody = source;
          detach();
        } else {
          responseBody = follow(
            source,
            () => {
              if (res.trailers !== undefined) trailers.merge(res.trailers);
            },
            detach,
          );
        }
        return {
          status: res.status,
          headers: new Metadata(res.headers),
          body: createHttpBody(responseBody, req.signal),
          trailers,
        };
      } catch (e) {
        detach();
        server.abort(new ConnectError("request failed", Code.Canceled));
        if (req.signal.aborted) throw abortError(req.signal);
        throw ConnectError.from(e, Code.Unavailable);
      }
    },
    async close() {
      closed = true;
    },
  };
}

async function gather(body: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    total += chunk.length;
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

async function* follow(
  source: AsyncIterable<Uint8Array>,
  onEnd: () => void,
  onClose: () => void,
): AsyncGenerator<Uint8Array> {
  try {
    yield* source;
    onEnd();
  } finally {
    onClose();
  }
}
