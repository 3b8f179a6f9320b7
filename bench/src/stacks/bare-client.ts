import * as http2 from "node:http2";
import { Pool } from "undici";
import type { BenchClient, BidiSession, HttpVersion, Wire } from "../types.js";
import { methodPath } from "../types.js";

/**
 * Ping-pong on one raw HTTP/2 stream, the floor for bidi: each ping writes
 * one enveloped message and waits for as many bytes to come back (the bare
 * server echoes them); nothing is parsed beyond counting bytes.
 */
function bareBidi(session: http2.ClientHttp2Session, wire: Wire): BidiSession {
  const stream = session.request({
    ":method": "POST",
    ":path": methodPath("Bidi"),
    "content-type": wire === "grpc" ? "application/grpc" : "application/connect+proto",
    ...(wire === "grpc" ? { te: "trailers" } : {}),
  });
  let received: Buffer[] = [];
  let receivedBytes = 0;
  let waiting:
    | { bytes: number; done: (data: Uint8Array) => void; fail: (error: Error) => void }
    | undefined;
  let failure: Error | undefined;
  const fail = (error: Error) => {
    failure ??= error;
    waiting?.fail(failure);
    waiting = undefined;
  };
  const closed = new Promise<void>((resolve) => stream.on("close", resolve));
  stream.on("error", fail);
  stream.on("end", () => fail(new Error("the bidi stream ended")));
  stream.on("data", (chunk: Buffer) => {
    received.push(chunk);
    receivedBytes += chunk.byteLength;
    const w = waiting;
    if (w === undefined || receivedBytes < w.bytes) return;
    const all = received.length === 1 ? received[0]! : Buffer.concat(received);
    received = [];
    receivedBytes = 0;
    waiting = undefined;
    w.done(all.subarray(5));
  });
  return {
    ping(data) {
      if (failure !== undefined) return Promise.reject(failure);
      const frame = Buffer.allocUnsafe(5 + data.byteLength);
      frame[0] = 0;
      frame.writeUInt32BE(data.byteLength, 1);
      frame.set(data, 5);
      return new Promise((resolve, reject) => {
        waiting = { bytes: frame.byteLength, done: resolve, fail: reject };
        stream.write(frame);
      });
    },
    async close() {
      stream.end();
      await closed;
    },
  };
}

/**
 * The floor for clients: a POST of raw bytes with undici (HTTP/1.1) or
 * `node:http2`, reading the response bytes back. No serialization, no
 * envelope, no RPC semantics: the request body is `data` itself.
 */
export function createBareClient(
  httpVersion: HttpVersion,
  wire: Wire,
  baseUrl: string,
): BenchClient {
  const contentType = wire === "grpc" ? "application/grpc" : "application/proto";
  const path = methodPath("Unary");
  if (httpVersion === "1.1") {
    const pool = new Pool(baseUrl, { pipelining: 1 });
    return {
      async unary(data) {
        const res = await pool.request({
          path,
          method: "POST",
          headers: { "content-type": contentType },
          body: data,
        });
        const body = new Uint8Array(await res.body.arrayBuffer());
        if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
        return body;
      },
      close: () => pool.close(),
    };
  }
  const session = http2.connect(baseUrl, { maxSessionMemory: 1024 });
  session.on("error", () => {});
  const headers: http2.OutgoingHttpHeaders = {
    ":method": "POST",
    ":path": path,
    "content-type": contentType,
  };
  if (wire === "grpc") headers.te = "trailers";
  return {
    bidi: () => bareBidi(session, wire),
    unary(data) {
      return new Promise((resolve, reject) => {
        const stream = session.request(headers);
        const chunks: Buffer[] = [];
        let status = 0;
        stream.on("response", (h) => {
          status = Number(h[":status"]);
        });
        stream.on("data", (chunk: Buffer) => chunks.push(chunk));
        stream.on("error", reject);
        stream.on("end", () => {
          if (status !== 200) reject(new Error(`HTTP ${status}`));
          else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
        });
        stream.end(data);
      });
    },
    close: () =>
      new Promise((resolve) => {
        session.close(() => resolve());
      }),
  };
}
