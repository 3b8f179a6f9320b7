import {
  createSecureServer,
  createServer,
  type Http2SecureServer,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type SecureServerOptions,
  type ServerHttp2Session,
  type ServerHttp2Stream,
  type ServerOptions,
} from "node:http2";
import type { AddressInfo, Socket } from "node:net";

/** Handles one stream of the test server. */
export type StreamHandler = (
  stream: ServerHttp2Stream,
  headers: Record<string, string | string[] | undefined>,
) => void;

/** A bare `node:http2` server on a loopback port, tracking its sessions. */
export interface TestH2Server {
  readonly url: string;
  readonly server: Http2Server | Http2SecureServer;
  /** Sessions currently open on the server side. */
  readonly sessions: Set<ServerHttp2Session>;
  /** Sessions accepted since the start. */
  readonly accepted: () => number;
  /** Destroys every TCP connection without a GOAWAY, as a crashing peer or a proxy would. */
  dropConnections(): void;
  close(): Promise<void>;
}

/** Starts an h2c server (or TLS, when `tls` is given) that passes each stream to `handler`. */
export async function startH2Server(
  handler: StreamHandler,
  options: { settings?: ServerOptions["settings"]; tls?: SecureServerOptions } = {},
): Promise<TestH2Server> {
  const server =
    options.tls !== undefined
      ? createSecureServer({ ...options.tls, settings: options.settings })
      : createServer({ settings: options.settings });
  const sessions = new Set<ServerHttp2Session>();
  let accepted = 0;
  const sockets = new Set<Socket>();
  const onSocket = (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  };
  server.on(options.tls !== undefined ? "secureConnection" : "connection", onSocket);
  server.on("session", (session: ServerHttp2Session) => {
    accepted++;
    sessions.add(session);
    session.on("error", () => {});
    session.on("close", () => sessions.delete(session));
  });
  // A TLS handshake the server refuses (mTLS) must not crash the test.
  server.on("tlsClientError", () => {});
  server.on("stream", (stream: ServerHttp2Stream, headers) => {
    stream.on("error", () => {});
    handler(stream, headers);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const scheme = options.tls !== undefined ? "https" : "http";
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    server,
    sessions,
    accepted: () => accepted,
    dropConnections: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const session of sessions) session.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Reads a server stream's whole request body. */
export async function readStream(stream: ServerHttp2Stream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export type { Http2ServerRequest, Http2ServerResponse };
