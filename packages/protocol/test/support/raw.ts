import {
  createHttpBody,
  encodeEnvelope,
  Metadata,
  type MetadataInit,
  type ServerRequest,
  type ServerResponse,
} from "../../src/index.js";

/** Builds a request for a router as a server adapter would. */
export function rawRequest(init: {
  method?: string;
  path: string;
  query?: string;
  headers?: MetadataInit;
  body?: Uint8Array | AsyncIterable<Uint8Array> | string;
  signal?: AbortSignal;
}): ServerRequest {
  const body = typeof init.body === "string" ? new TextEncoder().encode(init.body) : init.body;
  return {
    method: init.method ?? "POST",
    path: init.path,
    query: init.query ?? "",
    headers: new Metadata(init.headers),
    body: createHttpBody(body),
    signal: init.signal ?? new AbortController().signal,
    httpVersion: "2",
  };
}

/** A response read whole, as a client would see it. */
export interface RawResponse {
  status: number;
  headers: Metadata;
  body: Uint8Array;
  text: string;
  json: unknown;
}

/** Reads a router's response whole. */
export async function readResponse(res: ServerResponse): Promise<RawResponse> {
  const chunks: Uint8Array[] = [];
  if (res.body instanceof Uint8Array) chunks.push(res.body);
  else if (res.body !== undefined) for await (const c of res.body) chunks.push(c);
  const body = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    body.set(c, o);
    o += c.length;
  }
  const text = new TextDecoder().decode(body);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, body, text, json };
}

/** Joins envelopes into one body. */
export function envelopes(...frames: [number, Uint8Array | string][]): Uint8Array {
  const parts = frames.map(([flags, data]) =>
    encodeEnvelope(flags, typeof data === "string" ? new TextEncoder().encode(data) : data),
  );
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Splits a streaming response body into its frames. */
export function frames(body: Uint8Array): { flags: number; text: string; data: Uint8Array }[] {
  const out = [];
  let o = 0;
  while (o + 5 <= body.length) {
    const len = new DataView(body.buffer, body.byteOffset + o + 1, 4).getUint32(0);
    const data = body.subarray(o + 5, o + 5 + len);
    out.push({ flags: body[o]!, text: new TextDecoder().decode(data), data });
    o += 5 + len;
  }
  return out;
}
