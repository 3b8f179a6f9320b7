import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import type { Metadata, ServerRequest } from "@connect-ts/protocol";
import type { NodeBody } from "./node-body.js";

/** A request as Node's `http`, `https` and `http2` (compatibility API) servers hand it over. */
export type NodeServerRequest = IncomingMessage | Http2ServerRequest;

/** A {@link ServerRequest} with the adapter's own handle on the body. */
export interface AdaptedRequest extends ServerRequest {
  readonly body: NodeBody;
}

/**
 * Appends raw headers (a flat list of names and values, as Node receives
 * them) to `headers`, leaving out HTTP/2 pseudo-headers (`:path`, `:method`,
 * ...), which are not metadata. Returns the declared `content-length`, or -1
 * if there is none or it is not a valid length.
 */
export function appendRawHeaders(headers: Metadata, raw: readonly string[]): number {
  let contentLength = -1;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.charCodeAt(0) === 58 /* ":" */) continue;
    const value = raw[i + 1]!;
    headers.append(name, value);
    if (name.length === 14 && name.toLowerCase() === "content-length") {
      const n = Number(value);
      if (Number.isSafeInteger(n) && n >= 0) contentLength = n;
    }
  }
  return contentLength;
}

/**
 * Splits a request target into path and query. Accepts the absolute form
 * (`http://host/path?q`) that proxies may send, as well as the usual origin form.
 */
export function splitTarget(target: string): { path: string; query: string } {
  let start = 0;
  if (target.charCodeAt(0) !== 47 /* "/" */) {
    const scheme = target.indexOf("://");
    if (scheme >= 0) {
      const slash = target.indexOf("/", scheme + 3);
      if (slash < 0) {
        const q = target.indexOf("?", scheme + 3);
        return { path: "/", query: q < 0 ? "" : target.slice(q + 1) };
      }
      start = slash;
    }
  }
  const q = target.indexOf("?", start);
  if (q < 0) return { path: start === 0 ? target : target.slice(start), query: "" };
  return { path: target.slice(start, q), query: target.slice(q + 1) };
}
