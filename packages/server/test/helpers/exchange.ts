import { once } from "node:events";
import * as http from "node:http";
import type * as http2 from "node:http2";
import * as https from "node:https";
import type { Readable, Writable } from "node:stream";
import { connectH2 } from "./raw-client.js";
import type { Mode } from "./servers.js";
import { tlsMaterial } from "./tls.js";

/** An open exchange whose request and response the test drives step by step. */
export interface Exchange {
  /** The request body, still open. */
  readonly request: Writable;
  /** Resolves with status and headers once they arrive. */
  readonly head: Promise<{ status: number; headers: Record<string, unknown> }>;
  /** The response body (valid once `head` resolved). */
  response(): Readable;
  /** Resolves with the trailers once the response has ended. */
  readonly trailers: Promise<Record<string, unknown>>;
  /** Resolves once the exchange is over, however it ended, with how it ended. */
  readonly ended: Promise<{ error: Error | undefined; rstCode: number | undefined }>;
  /** Tears the exchange down from the client's side (HTTP/2: RST_STREAM CANCEL). */
  abort(): void;
  /** Releases the connection. */
  close(): void;
}

/** Starts a streaming exchange with Node's client in the given mode. */
export function openExchange(
  baseUrl: string,
  mode: Mode,
  path: string,
  headers: Record<string, string> = {},
): Exchange {
  return mode.startsWith("h2")
    ? h2Exchange(baseUrl, path, headers)
    : h1Exchange(baseUrl, mode, path, headers);
}

function h2Exchange(baseUrl: string, path: string, headers: Record<string, string>): Exchange {
  const session = connectH2(baseUrl);
  const stream: http2.ClientHttp2Stream = session.request({
    ":method": "POST",
    ":path": path,
    ...headers,
  });
  stream.on("error", () => {});
  const head = once(stream, "response").then(([h]) => ({
    status: Number(h[":status"]),
    headers: h as Record<string, unknown>,
  }));
  head.catch(() => {});
  const trailers = new Promise<Record<string, unknown>>((resolve) => {
    stream.once("trailers", (t) => resolve(t));
    stream.once("close", () => resolve({}));
  });
  const ended = new Promise<{ error: Error | undefined; rstCode: number | undefined }>(
    (resolve) => {
      let error: Error | undefined;
      stream.once("error", (e) => {
        error = e;
      });
      stream.once("close", () => resolve({ error, rstCode: stream.rstCode }));
    },
  );
  return {
    request: stream,
    head,
    response: () => stream,
    trailers,
    ended,
    abort: () => stream.close(0x8),
    close: () => session.close(),
  };
}

function h1Exchange(
  baseUrl: string,
  mode: Mode,
  path: string,
  headers: Record<string, string>,
): Exchange {
  const tls = mode === "h1-tls";
  const req = (tls ? https : http).request(new URL(path, baseUrl), {
    method: "POST",
    headers,
    agent: false,
    ...(tls ? { ca: tlsMaterial().ca } : {}),
  });
  let res: http.IncomingMessage | undefined;
  let error: Error | undefined;
  req.on("error", (e) => {
    error ??= e;
  });
  const head = new Promise<{ status: number; headers: Record<string, unknown> }>(
    (resolve, reject) => {
      req.once("response", (r: http.IncomingMessage) => {
        res = r;
        r.on("error", (e) => {
          error ??= e;
        });
        resolve({ status: r.statusCode ?? 0, headers: r.headers });
      });
      req.once("error", reject);
    },
  );
  head.catch(() => {});
  const trailers = head.then(
    () =>
      new Promise<Record<string, unknown>>((resolve) => {
        res!.once("end", () => resolve(res!.trailers));
        res!.once("close", () => resolve(res!.trailers));
      }),
    () => ({}),
  );
  const ended = new Promise<{ error: Error | undefined; rstCode: number | undefined }>(
    (resolve) => {
      req.once("close", () => {
        if (res === undefined || res.closed) resolve({ error, rstCode: undefined });
        else
          res.once("close", () =>
            resolve({
              error: error ?? (res!.complete ? undefined : new Error("aborted")),
              rstCode: undefined,
            }),
          );
      });
    },
  );
  // Send the head at once, so the server sees the call before any body.
  req.flushHeaders();
  return {
    request: req,
    head,
    response: () => res!,
    trailers,
    ended,
    abort: () => req.destroy(),
    close: () => req.destroy(),
  };
}
