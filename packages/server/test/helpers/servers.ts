import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import type { Router, ServerRequest, ServerResponse } from "@connect-ts/protocol";
import {
  type ConnectServer,
  createConnectHandler,
  listen,
  type ListenOptions,
  type NodeHandler,
} from "../../src/index.js";
import { tlsMaterial } from "./tls.js";

/**
 * The ways a server is run in these tests. `listen` serves HTTP/2 from the
 * server's 'stream' event; `h2c-compat` mounts the handler as the request
 * listener of Node's HTTP/2 compatibility API instead, as hosts that bring
 * their own server do.
 */
export type Mode = "h1" | "h1-tls" | "h2c" | "h2-tls" | "h2c-compat";

export const modes: readonly Mode[] = ["h1", "h1-tls", "h2c", "h2-tls", "h2c-compat"];

/** Starts a server on loopback in the given mode; TLS modes use the test CA. */
export function startServer(
  target: Parameters<typeof listen>[0],
  mode: Mode,
  options: ListenOptions = {},
): Promise<ConnectServer> {
  if (mode === "h2c-compat") return startCompatServer(target, options);
  const tls = mode.endsWith("tls")
    ? { key: tlsMaterial().serverKey, cert: tlsMaterial().serverCert, ...options.tls }
    : undefined;
  return listen(target, {
    ...options,
    host: "127.0.0.1",
    httpVersion: mode.startsWith("h2") ? "2" : "1.1",
    tls,
  });
}

/** A router over one hand-written handler, serving the given paths. */
export function routerOf(
  handle: (request: ServerRequest) => Promise<ServerResponse>,
  paths: readonly string[] = [],
): Router {
  return { handle, paths: new Set(paths) };
}

/**
 * An h2c server with the handler as its request listener (Node's
 * compatibility API), shut down the way `listen` does it: GOAWAY, the
 * handler's graceful shutdown, then whatever is left is destroyed.
 */
async function startCompatServer(
  target: Parameters<typeof listen>[0],
  options: ListenOptions,
): Promise<ConnectServer> {
  const handler: NodeHandler =
    typeof target === "function" ? target : createConnectHandler(target, options);
  const server = http2.createServer(options.http2 ?? {}, handler);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  const close = (opts?: Parameters<ConnectServer["close"]>[0]): Promise<void> => {
    closing ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of sessions) if (!session.closed) session.close();
      await handler.shutdown(opts);
      const grace = new Promise<void>((resolve) => setTimeout(resolve, 200).unref());
      await Promise.race([closed, grace]);
      for (const session of sessions) session.destroy();
      await closed;
    })();
    return closing;
  };
  return {
    server,
    handler,
    url: `http://127.0.0.1:${port}`,
    port,
    close,
    [Symbol.asyncDispose]: () => close(),
  };
}
