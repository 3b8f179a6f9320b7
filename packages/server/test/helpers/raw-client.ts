import * as http from "node:http";
import * as http2 from "node:http2";
import * as https from "node:https";
import type { Mode } from "./servers.js";
import { tlsMaterial } from "./tls.js";

/** What a raw HTTP exchange returned. */
export interface RawResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  trailers: Record<string, string | string[] | undefined>;
}

/** A request for {@link rawCall}. */
export interface RawRequest {
  method?: string;
  path: string;
  headers?: Record<string, string | string[]>;
  body?: Uint8Array | readonly Uint8Array[];
  /** TLS client identity; none by default. */
  identity?: { key: string; cert: string };
}

/**
 * One exchange over a fresh connection with Node's own clients (http, https
 * or http2), closed afterwards so no socket outlives the test.
 */
export function rawCall(baseUrl: string, mode: Mode, req: RawRequest): Promise<RawResult> {
  return mode.startsWith("h2") ? h2Call(baseUrl, req) : h1Call(baseUrl, mode, req);
}

function h1Call(baseUrl: string, mode: Mode, req: RawRequest): Promise<RawResult> {
  const url = new URL(req.path, baseUrl);
  const tls = mode === "h1-tls";
  return new Promise((resolve, reject) => {
    const options: https.RequestOptions = {
      method: req.method ?? "POST",
      headers: req.headers,
      agent: false,
      ...(tls ? { ca: tlsMaterial().ca, ...req.identity } : {}),
    };
    const r = (tls ? https : http).request(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          trailers: res.trailers,
        }),
      );
    });
    r.on("error", reject);
    writeBody(r, req.body);
  });
}

/** Opens an HTTP/2 session to the server (TLS for https URLs, with the test CA). */
export function connectH2(
  baseUrl: string,
  identity?: { key: string; cert: string },
): http2.ClientHttp2Session {
  const session = http2.connect(
    baseUrl,
    baseUrl.startsWith("https") ? { ca: tlsMaterial().ca, ...identity } : {},
  );
  session.on("error", () => {});
  return session;
}

async function h2Call(baseUrl: string, req: RawRequest): Promise<RawResult> {
  const session = connectH2(baseUrl, req.identity);
  try {
    return await new Promise<RawResult>((resolve, reject) => {
      const stream = session.request({
        ":method": req.method ?? "POST",
        ":path": req.path,
        ...req.headers,
      });
      let status = 0;
      let headers: RawResult["headers"] = {};
      let trailers: RawResult["trailers"] = {};
      const chunks: Buffer[] = [];
      stream.on("response", (h) => {
        status = Number(h[":status"]);
        headers = h;
      });
      stream.on("trailers", (t) => {
        trailers = t;
      });
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("error", reject);
      stream.on("close", () => {
        if (stream.rstCode !== http2.constants.NGHTTP2_NO_ERROR && status === 0) {
          reject(new Error(`stream reset with code ${stream.rstCode}`));
          return;
        }
        resolve({ status, headers, body: Buffer.concat(chunks), trailers });
      });
      writeBody(stream, req.body);
    });
  } finally {
    session.close();
  }
}

function writeBody(w: NodeJS.WritableStream, body: RawRequest["body"]): void {
  if (body === undefined) w.end();
  else if (body instanceof Uint8Array) w.end(body);
  else {
    for (const chunk of body) w.write(chunk);
    w.end();
  }
}
