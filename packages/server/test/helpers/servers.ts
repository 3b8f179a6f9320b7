import type { Router, ServerRequest, ServerResponse } from "@connect-ts/protocol";
import { type ConnectServer, listen, type ListenOptions } from "../../src/index.js";
import { tlsMaterial } from "./tls.js";

/** The ways a server is run in these tests. */
export type Mode = "h1" | "h1-tls" | "h2c" | "h2-tls";

export const modes: readonly Mode[] = ["h1", "h1-tls", "h2c", "h2-tls"];

/** Starts a server on loopback in the given mode; TLS modes use the test CA. */
export function startServer(
  target: Parameters<typeof listen>[0],
  mode: Mode,
  options: ListenOptions = {},
): Promise<ConnectServer> {
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
