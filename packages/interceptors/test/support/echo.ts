import {
  type ClientOptions,
  Code,
  ConnectError,
  codeFromString,
  createClient,
  createMemoryTransport,
  createRouter,
  type HandlerContext,
  type Interceptor,
  registerService,
  type Transport,
} from "@connect-ts/protocol";
import { type EchoRequest, EchoService } from "@connect-ts/test-support/echo";

/** What the test server saw, call by call. */
export interface Seen {
  calls: number;
  headers: Array<Record<string, string | string[]>>;
}

/** Options of the test server: how many calls to fail first, and with what. */
export interface EchoServerOptions {
  /** Fail the first N calls (of any method) with `failCode`. */
  failFirst?: number;
  failCode?: Code;
  interceptors?: readonly Interceptor[];
}

function failure(
  request: EchoRequest,
  seen: Seen,
  options: EchoServerOptions,
): ConnectError | undefined {
  if (seen.calls <= (options.failFirst ?? 0)) {
    return new ConnectError("failing on purpose", options.failCode ?? Code.Unavailable);
  }
  if (request.failWith !== "") {
    return new ConnectError("asked to fail", codeFromString(request.failWith) ?? Code.Unknown);
  }
  return undefined;
}

function note(seen: Seen, ctx: HandlerContext): void {
  seen.calls++;
  seen.headers.push(ctx.requestHeaders.toRecord());
}

/** An in-memory EchoService server and a typed client for it. */
export function echoSetup(clientOptions: ClientOptions = {}, server: EchoServerOptions = {}) {
  const seen: Seen = { calls: 0, headers: [] };
  const router = createRouter(
    [
      registerService(EchoService, {
        async echo(req, ctx) {
          note(seen, ctx);
          const error = failure(req, seen, server);
          if (error) throw error;
          return { text: req.text, payload: req.payload };
        },
        async *echoServer(req, ctx) {
          note(seen, ctx);
          const error = failure(req, seen, server);
          if (error) throw error;
          for (let i = 0; i < req.count; i++) yield { text: req.text, index: i };
        },
        async echoClient(reqs, ctx) {
          note(seen, ctx);
          const texts: string[] = [];
          for await (const r of reqs) texts.push(r.text);
          return { text: texts.join(",") };
        },
        async *echoBidi(reqs, ctx) {
          note(seen, ctx);
          let i = 0;
          for await (const r of reqs) yield { text: r.text, index: i++ };
        },
      }),
    ],
    { interceptors: server.interceptors },
  );
  const transport = createMemoryTransport(router);
  const client = createClient(EchoService, transport, clientOptions);
  return { client, seen, transport, router };
}

/**
 * Wraps a transport so that its first `n` requests fail as a refused
 * connection does, before any response: the case retries exist for.
 */
export function refusingFirst(transport: Transport, n: number): Transport & { attempts: number } {
  let left = n;
  const wrapped = {
    baseUrl: transport.baseUrl,
    httpVersion: transport.httpVersion,
    fullDuplex: transport.fullDuplex,
    attempts: 0,
    close: () => transport.close(),
    request(req: Parameters<Transport["request"]>[0]) {
      wrapped.attempts++;
      if (left > 0) {
        left--;
        return Promise.reject(new ConnectError("connection refused", Code.Unavailable));
      }
      return transport.request(req);
    },
  };
  return wrapped;
}

export { EchoService };
