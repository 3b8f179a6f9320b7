import { type ConnectServer, type ListenOptions, listen } from "@connect-ts/server";
import { Eliza, type ElizaOptions } from "./eliza-service.js";
import { elizaService } from "./gen/eliza/v1/eliza_connect.js";
import { isMain } from "./is-main.js";

/**
 * Options of {@link startElizaServer}: Eliza's own, where to listen, and the
 * server's compression and interceptors.
 */
export interface ElizaServerOptions
  extends ElizaOptions,
    Pick<ListenOptions, "compression" | "compressMinBytes" | "interceptors"> {
  /** `"2"` serves cleartext HTTP/2 (h2c); `"1.1"` serves HTTP/1.1. Default `"2"`. */
  httpVersion?: "1.1" | "2";
  /** The port; 0 (the default) picks a free one. */
  port?: number;
  /** The address to bind. Default `127.0.0.1`. */
  host?: string;
}

/** Starts an Eliza server and resolves once it listens; `url` says where. */
export function startElizaServer(options: ElizaServerOptions = {}): Promise<ConnectServer> {
  return listen([elizaService(new Eliza(options))], {
    compression: options.compression,
    compressMinBytes: options.compressMinBytes,
    interceptors: options.interceptors,
    httpVersion: options.httpVersion ?? "2",
    port: options.port ?? 0,
    host: options.host ?? "127.0.0.1",
  });
}

// `node dist/server.js [--http1] [--port N]` runs a server until interrupted.
if (isMain(import.meta.url)) {
  const args = process.argv.slice(2);
  const portAt = args.indexOf("--port");
  const server = await startElizaServer({
    httpVersion: args.includes("--http1") ? "1.1" : "2",
    port: portAt >= 0 ? Number(args[portAt + 1]) : 8080,
    introDelayMs: 250,
  });
  console.log(`Eliza is listening on ${server.url}`);
  const stop = () => {
    server.close({ graceMs: 2000 }).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
