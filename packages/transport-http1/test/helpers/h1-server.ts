import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createSecureServer, type ServerOptions } from "node:https";
import type { AddressInfo, Socket } from "node:net";

/** Handles one request of the test server. */
export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A bare `node:http` (or `node:https`) server on a loopback port, tracking its connections. */
export interface TestH1Server {
  readonly url: string;
  readonly server: Server;
  /** Connections accepted since the start. */
  readonly accepted: () => number;
  /** Connections open now. */
  readonly open: () => number;
  /** Destroys every connection, as a crashing peer or a proxy would. */
  dropConnections(): void;
  close(): Promise<void>;
}

/** Starts an HTTP/1.1 server (HTTPS when `tls` is given) that passes each request to `handler`. */
export async function startH1Server(handler: Handler, tls?: ServerOptions): Promise<TestH1Server> {
  const server: Server =
    tls !== undefined ? createSecureServer(tls, handler) : createServer(handler);
  const sockets = new Set<Socket>();
  let accepted = 0;
  server.on(tls !== undefined ? "secureConnection" : "connection", (socket: Socket) => {
    accepted++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("clientError", (_error, socket) => socket.destroy());
  server.on("tlsClientError", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls !== undefined ? "https" : "http"}://127.0.0.1:${port}`,
    server,
    accepted: () => accepted,
    open: () => sockets.size,
    dropConnections: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Reads a request body whole. */
export async function readRequest(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
