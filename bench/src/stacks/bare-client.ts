import * as http2 from "node:http2";
import { Pool } from "undici";
import type { BenchClient, HttpVersion, Wire } from "../types.js";
import { methodPath } from "../types.js";

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
