import * as http from "node:http";
import * as http2 from "node:http2";
import * as https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { Router, ServiceRegistration } from "@connect-ts/protocol";
import type { ShutdownOptions } from "./call-tracker.js";
import {
  type ConnectHandlerOptions,
  createConnectHandler,
  type NodeHandler,
} from "./node-handler.js";

/** TLS settings of {@link listen}: those of `tls.createServer`, plus `allowHTTP1` for HTTP/2. */
export type ListenTlsOptions = http2.SecureServerOptions;

/** Options of {@link listen}. */
export interface ListenOptions extends ConnectHandlerOptions {
  /**
   * `"2"` (the default) serves HTTP/2: h2c with prior knowledge without `tls`,
   * ALPN `h2` with it, where HTTP/1.1 clients are served too unless
   * `tls.allowHTTP1` is set to false. `"1.1"` serves HTTP/1.1 only (`http` or `https`).
   */
  httpVersion?: "1.1" | "2";
  /** Serve over TLS with these settings (`key` and `cert` at least). */
  tls?: ListenTlsOptions;
  /** The port; 0 (the default) picks a free one. */
  port?: number;
  /** The address to bind, e.g. `127.0.0.1`; Node's default (every interface) if unset. */
  host?: string;
  /** Settings of the HTTP/2 server (e.g. `settings.maxConcurrentStreams`). */
  http2?: http2.ServerOptions;
  /**
   * Settings of the HTTP/1.1 server. `keepAliveTimeout` defaults to
   * {@link defaultKeepAliveTimeoutMs} here rather than Node's 5 s.
   */
  http1?: http.ServerOptions;
}

/** A running server made by {@link listen}. */
export interface ConnectServer extends AsyncDisposable {
  /** The Node server, for anything this interface does not cover. */
  readonly server: http.Server | https.Server | http2.Http2Server | http2.Http2SecureServer;
  /** The request handler mounted on it. */
  readonly handler: NodeHandler;
  /** The base URL clients use, e.g. `http://127.0.0.1:39811`. */
  readonly url: string;
  /** The port bound. */
  readonly port: number;
  /**
   * Shuts down gracefully: stops accepting connections, sends HTTP/2 GOAWAY
   * and closes idle HTTP/1.1 connections, lets calls in flight finish for
   * `graceMs` (default 5000), then cancels them with `unavailable` (see
   * {@link NodeHandler.shutdown}) and closes every connection left. Resolves
   * once the server has closed.
   */
  close(options?: ShutdownOptions): Promise<void>;
}

/**
 * Starts a server for services, a router or a handler, and resolves once it
 * listens.
 *
 * @example
 * const server = await listen([registerService(ElizaService, impl)], { port: 8080 });
 * process.once("SIGTERM", () => server.close({ graceMs: 10_000 }));
 */
export async function listen(
  target: readonly ServiceRegistration[] | Router | NodeHandler,
  options: ListenOptions = {},
): Promise<ConnectServer> {
  const handler = typeof target === "function" ? target : createConnectHandler(target, options);
  const server = createNodeServer(handler, options);
  const sockets = new Set<Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  server.on("session", (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const url = `${options.tls ? "https" : "http"}://${hostForUrl(address)}:${address.port}`;
  let closing: Promise<void> | undefined;

  const close = (opts?: ShutdownOptions): Promise<void> => {
    closing ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of sessions) if (!session.closed) session.close();
      (server as http.Server).closeIdleConnections?.();
      await handler.shutdown(opts);
      // Connections close themselves once their last answer is out (HTTP/1.1
      // answers carry "connection: close" while draining; HTTP/2 sessions got
      // GOAWAY). Destroying them at once could cut that answer off, so they
      // get a moment; whatever is still open after it is destroyed.
      (server as http.Server).closeIdleConnections?.();
      await settle(closed, opts?.abortWaitMs ?? 1000);
      for (const session of sessions) session.destroy();
      for (const socket of sockets) socket.destroy();
      await closed;
    })();
    return closing;
  };

  return {
    server,
    handler,
    url,
    port: address.port,
    close,
    [Symbol.asyncDispose]: () => close(),
  };
}

/**
 * How long an idle HTTP/1.1 connection is kept open. Longer than the idle
 * reuse of common clients and load balancers (Go's client keeps idle
 * connections 90 s, many proxies 60 s): a server that closes first races a
 * client writing its next request on the connection, and that request fails
 * with a reset.
 */
export const defaultKeepAliveTimeoutMs = 95_000;

function createNodeServer(
  handler: NodeHandler,
  options: ListenOptions,
): http.Server | https.Server | http2.Http2Server | http2.Http2SecureServer {
  const tls = options.tls;
  if (options.httpVersion === "1.1") {
    const http1 = { keepAliveTimeout: defaultKeepAliveTimeoutMs, ...options.http1 };
    return tls
      ? https.createServer({ ...http1, ...tls }, handler)
      : http.createServer(http1, handler);
  }
  const server = tls
    ? http2.createSecureServer({ allowHTTP1: true, ...options.http2, ...tls })
    : http2.createServer(options.http2 ?? {});
  server.on("stream", handler.stream);
  addHttp1Listener(server, handler);
  return server;
}

/**
 * Serves the HTTP/1.1 clients of an `allowHTTP1` server with the request
 * listener, while its HTTP/2 streams go to {@link NodeHandler.stream}. Node
 * sets its HTTP/2 compatibility layer up (a 'stream' listener that wraps
 * every stream in request and response objects and emits 'request') when
 * the first 'request' listener is added, from a 'newListener' hook; the hook
 * is held back while this one is added, so HTTP/2 streams are not served
 * twice. Should a later 'request' listener bring the layer in all the same,
 * the HTTP/2 requests it emits are left to their streams' own listener.
 */
function addHttp1Listener(
  server: http2.Http2Server | http2.Http2SecureServer,
  handler: NodeHandler,
): void {
  const hooks = server.listeners("newListener") as ((...args: unknown[]) => void)[];
  server.removeAllListeners("newListener");
  server.on("request", (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
    if (req.httpVersionMajor !== 2) handler(req, res);
  });
  for (const hook of hooks) server.on("newListener", hook);
}

function hostForUrl(address: AddressInfo): string {
  if (address.address === "::" || address.address === "0.0.0.0") return "localhost";
  return address.family === "IPv6" ? `[${address.address}]` : address.address;
}

/** Resolves when `promise` settles or after `ms`, whichever comes first, leaving no timer. */
async function settle(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
