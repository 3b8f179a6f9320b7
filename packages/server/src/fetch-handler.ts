import {
  createHttpBody,
  Metadata,
  type Router,
  type RouterOptions,
  type ServerResponse,
  type ServiceRegistration,
} from "@connect-ts/protocol";
import { splitTarget } from "./node-request.js";
import { resolveRouter } from "./resolve-router.js";

/** Options of {@link createFetchHandler}: the router's, plus the adapter's own. */
export interface FetchHandlerOptions extends RouterOptions {
  /**
   * The HTTP version reported to handlers (the Fetch API does not say which
   * one carried the request). `"1.1"` by default.
   */
  httpVersion?: "1.1" | "2";
}

/** A handler for runtimes that serve with the Fetch API (`Request` in, `Response` out). */
export type FetchHandler = (request: Request) => Promise<Response>;

/**
 * Serves services through the Fetch API, for runtimes such as Deno, Bun,
 * Cloudflare Workers or any server that hands over a `Request`.
 *
 * A `Response` cannot carry HTTP trailers, which the gRPC protocol needs, so
 * a router built here serves Connect and gRPC-Web unless `protocols` says
 * otherwise. A streaming body that ends with trailers still to send is failed
 * rather than ended cleanly, so a client never mistakes it for success.
 *
 * @example
 * const handler = createFetchHandler([registerService(ElizaService, impl)]);
 * Deno.serve(handler);
 */
export function createFetchHandler(
  services: readonly ServiceRegistration[] | Router,
  options: FetchHandlerOptions = {},
): FetchHandler {
  const router = resolveRouter(services, {
    ...options,
    protocols: options.protocols ?? ["connect", "grpc-web"],
  });
  const httpVersion = options.httpVersion ?? "1.1";
  return async (request) => {
    const { path, query } = splitTarget(request.url);
    const headers = new Metadata();
    for (const [name, value] of request.headers) headers.append(name, value);
    const source = request.body as AsyncIterable<Uint8Array> | null;
    const response = await router.handle({
      method: request.method,
      path,
      query,
      headers,
      body: createHttpBody(source ?? undefined, request.signal),
      signal: request.signal,
      httpVersion,
    });
    return toFetchResponse(response);
  };
}

function toFetchResponse(response: ServerResponse): Response {
  const headers = new Headers();
  for (const [name, value] of response.headers) headers.append(name, value);
  const body = response.body;
  const init = { status: response.status, headers };
  if (body === undefined || nullBodyStatus(response.status)) return new Response(null, init);
  // A Response takes bytes over a plain ArrayBuffer; ours never come from a SharedArrayBuffer.
  if (body instanceof Uint8Array) return new Response(body as Uint8Array<ArrayBuffer>, init);
  return new Response(streamOf(body, response.trailers), init);
}

/** A pull-based stream over the body: nothing is produced before the client reads it. */
function streamOf(
  body: AsyncIterable<Uint8Array>,
  trailers: Metadata | undefined,
): ReadableStream<Uint8Array> {
  const it = body[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const r = await it.next();
          if (!r.done) {
            controller.enqueue(r.value);
            return;
          }
          if (trailers !== undefined && trailers.size > 0) {
            controller.error(new TypeError("the Fetch API cannot send HTTP trailers"));
            return;
          }
          controller.close();
        } catch (err) {
          controller.error(err);
        }
      },
      async cancel() {
        await it.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}

function nullBodyStatus(status: number): boolean {
  return status === 101 || status === 204 || status === 205 || status === 304;
}
