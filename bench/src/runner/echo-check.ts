import * as http from "node:http";
import * as http2 from "node:http2";
import { sameBytes } from "../payload.js";
import type { HttpVersion, Wire } from "../types.js";

/**
 * Sends the load generator's request once and checks the answer: the echo of
 * the body, status 200, and `grpc-status: 0` for gRPC. A load generator only
 * counts status codes, so without this a server answering errors could post
 * a fine figure.
 */
export async function checkEcho(
  url: string,
  httpVersion: HttpVersion,
  wire: Wire,
  headers: Readonly<Record<string, string>>,
  body: Uint8Array,
): Promise<void> {
  const answer =
    httpVersion === "2" ? await post2(url, headers, body) : await post1(url, headers, body);
  if (answer.status !== 200) throw new Error(`echo check: HTTP ${answer.status}`);
  if (wire === "grpc" && answer.grpcStatus !== "0") {
    throw new Error(`echo check: grpc-status ${answer.grpcStatus} ${answer.grpcMessage ?? ""}`);
  }
  if (!sameBytes(answer.body, body)) {
    throw new Error(`echo check: ${answer.body.byteLength} bytes back for ${body.byteLength} sent`);
  }
}

interface Answer {
  status: number;
  body: Uint8Array;
  grpcStatus?: string | undefined;
  grpcMessage?: string | undefined;
}

function post2(url: string, headers: Readonly<Record<string, string>>, body: Uint8Array) {
  const target = new URL(url);
  return new Promise<Answer>((resolve, reject) => {
    const session = http2.connect(target.origin);
    session.on("error", reject);
    const stream = session.request({ ":method": "POST", ":path": target.pathname, ...headers });
    let status = 0;
    let grpcStatus: string | undefined;
    let grpcMessage: string | undefined;
    const chunks: Buffer[] = [];
    stream.on("response", (h) => {
      status = Number(h[":status"]);
      // A trailers-only gRPC answer carries its status in the headers.
      if (h["grpc-status"] !== undefined) grpcStatus = String(h["grpc-status"]);
    });
    stream.on("trailers", (t) => {
      grpcStatus = String(t["grpc-status"]);
      grpcMessage = t["grpc-message"] === undefined ? undefined : String(t["grpc-message"]);
    });
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("error", reject);
    stream.on("end", () => {
      session.close();
      resolve({ status, body: Buffer.concat(chunks), grpcStatus, grpcMessage });
    });
    stream.end(body);
  });
}

function post1(url: string, headers: Readonly<Record<string, string>>, body: Uint8Array) {
  return new Promise<Answer>((resolve, reject) => {
    const req = http.request(url, { method: "POST", headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}
