import * as http from "node:http";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { type BenchServer, type HttpVersion, methodPath } from "../types.js";

/**
 * Holds answers back when the server runs in hold mode: the client memory
 * benchmark needs many calls in flight at once.
 */
export class HeldAnswers {
  readonly #answers: (() => void)[] = [];
  /** While true, answers are held; otherwise they go out at once. */
  holding = false;

  get count(): number {
    return this.#answers.length;
  }

  add(answer: () => void): void {
    this.#answers.push(answer);
  }

  /** Sends every held answer. */
  releaseAll(): number {
    const answers = this.#answers.splice(0);
    for (const answer of answers) answer();
    return answers.length;
  }
}

/**
 * Starts the floor: a `node:http` or `node:http2` server that answers any POST
 * with the request bytes and no RPC layer at all (over HTTP/2, `Bidi` echoes
 * its body as it streams in). Requests with a gRPC content
 * type get the echo with `grpc-status: 0` trailers, so gRPC clients accept it
 * (the echoed request envelope is a valid response envelope).
 */
export async function startBareServer(
  httpVersion: HttpVersion,
  held?: HeldAnswers,
): Promise<BenchServer> {
  if (httpVersion === "1.1") {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
        const answer = () => {
          res.writeHead(200, {
            "content-type": req.headers["content-type"] ?? "application/octet-stream",
            "content-length": body.byteLength,
          });
          res.end(body);
        };
        if (held?.holding) held.add(answer);
        else answer();
      });
    });
    server.keepAliveTimeout = 60_000;
    return listen(server, () => closeHttp1(server));
  }
  const server = createHttp2Server();
  server.on("stream", (stream, headers) => {
    const contentType = String(headers["content-type"] ?? "application/octet-stream");
    const grpc = contentType.startsWith("application/grpc");
    if (headers[":path"] === methodPath("Bidi")) {
      echoStream(stream, contentType, grpc);
      return;
    }
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("error", () => {});
    stream.on("end", () => {
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      const answer = () => {
        if (stream.destroyed) return;
        if (grpc) {
          stream.respond(
            { ":status": 200, "content-type": contentType },
            { waitForTrailers: true },
          );
          stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
          stream.end(body);
          return;
        }
        stream.respond({ ":status": 200, "content-type": contentType });
        // Not `end(body)`: END_STREAM on the body's own DATA frame closes the
        // stream before Node has finished the write, and Node 20 to 24 then
        // build an ERR_STREAM_DESTROYED per response that nobody sees (a
        // fifth of this server's CPU time). Ending after the write keeps the
        // floor a floor; connect-ts's server ends its answers the same way.
        stream.write(body, () => {
          if (!stream.destroyed) stream.end();
        });
      };
      if (held?.holding) held.add(answer);
      else answer();
    });
  });
  return listen(server, () => closeHttp2(server));
}

/**
 * The floor for bidi ping-pong: every chunk of the request goes straight back
 * on the response, so each enveloped message is echoed as it arrives, with
 * no parsing at all. The end is what the client's protocol expects: trailers
 * with `grpc-status: 0` for gRPC, an empty end-stream message for Connect.
 */
function echoStream(stream: http2.ServerHttp2Stream, contentType: string, grpc: boolean): void {
  stream.on("error", () => {});
  stream.respond({ ":status": 200, "content-type": contentType }, { waitForTrailers: grpc });
  if (grpc) stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
  stream.on("data", (chunk: Buffer) => stream.write(chunk));
  stream.on("end", () => stream.end(grpc ? undefined : CONNECT_END_STREAM));
}

/** A Connect end-stream message that reports success: flags 0x02, `{}`. */
const CONNECT_END_STREAM = new Uint8Array([2, 0, 0, 0, 2, 0x7b, 0x7d]);

/** Listens on an ephemeral loopback port. */
export function listen(
  server: http.Server | http2.Http2Server,
  close: () => Promise<void>,
): Promise<BenchServer> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as AddressInfo).port;
      resolve({ port, close });
    });
  });
}

/** Closes an HTTP/1.1 server and its keep-alive sockets. */
export function closeHttp1(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Closes an HTTP/2 server, ending its sessions. */
export function closeHttp2(server: http2.Http2Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    for (const session of sessionsOf(server)) session.destroy();
  });
}

/**
 * An h2c server with the settings every stack shares: enough session memory
 * for the memory benchmark's thousands of open streams on one connection.
 */
export function createHttp2Server(
  handler?: (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void,
): http2.Http2Server {
  const options: http2.ServerOptions = { maxSessionMemory: 1024 };
  const server =
    handler === undefined ? http2.createServer(options) : http2.createServer(options, handler);
  trackSessions(server);
  return server;
}

const sessions = new WeakMap<http2.Http2Server, Set<http2.ServerHttp2Session>>();

/** Tracks the sessions of a server so closing it does not wait for idle clients. */
export function trackSessions(server: http2.Http2Server): void {
  const set = new Set<http2.ServerHttp2Session>();
  sessions.set(server, set);
  server.on("session", (session) => {
    set.add(session);
    session.once("close", () => set.delete(session));
  });
}

function sessionsOf(server: http2.Http2Server): Set<http2.ServerHttp2Session> {
  return sessions.get(server) ?? new Set();
}
