import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http2";
import { Code, ConnectError, type Metadata } from "@connect-ts/protocol";

/**
 * Headers that are specific to one HTTP/1.1 connection and that HTTP/2
 * forbids (Node throws on them); `host` becomes `:authority` instead.
 */
const connectionHeaders = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "host",
  "http2-settings",
]);

/** A header name HTTP allows, lower-case as HTTP/2 requires. */
const tokenPattern = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
/** Characters a header value must not hold: NUL, CR, LF. */
const badValuePattern = /[\0\r\n]/;
/**
 * Names already checked: the same few names come back on every request.
 * Bounded, so that a stream of odd names cannot grow it without end.
 */
const knownNames = new Set<string>();

/**
 * Checks a header before Node sees it: Node destroys the whole session, with
 * every call on it, when `request()` gets a malformed header name.
 */
function checkHeader(name: string, values: readonly string[]): void {
  if (!knownNames.has(name)) {
    if (!tokenPattern.test(name)) {
      throw new ConnectError(`invalid header name: ${JSON.stringify(name)}`, Code.InvalidArgument);
    }
    if (knownNames.size < 512) knownNames.add(name);
  }
  for (const value of values) {
    if (badValuePattern.test(value)) {
      throw new ConnectError(`invalid value for header ${name}`, Code.InvalidArgument);
    }
  }
}

/**
 * Builds Node's header object for one request: the pseudo-headers first,
 * then every metadata entry, a name with several values as an array.
 * Connection-specific headers are dropped, and `te` is kept only as
 * `trailers`, the one value HTTP/2 allows. A malformed name or value throws a
 * `ConnectError` with code `invalid_argument`.
 */
export function toHttp2Headers(
  method: string,
  scheme: string,
  authority: string,
  path: string,
  metadata: Metadata,
  contentLength: number | undefined,
): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {
    ":method": method,
    ":scheme": scheme,
    ":authority": authority,
    ":path": path,
  };
  for (const [name, values] of metadata.entries()) {
    checkHeader(name, values);
    if (connectionHeaders.has(name)) continue;
    if (name === "te" && (values.length !== 1 || values[0] !== "trailers")) continue;
    if (name === "content-length") continue;
    headers[name] = values.length === 1 ? values[0] : values;
  }
  if (contentLength !== undefined) headers["content-length"] = contentLength;
  return headers;
}

/** Copies Node's received header object into `target`, without pseudo-headers. */
export function fromHttp2Headers(headers: IncomingHttpHeaders, target: Metadata): Metadata {
  for (const name of Object.keys(headers)) {
    if (name.charCodeAt(0) === 58 /* ":" */) continue;
    const value = headers[name];
    if (value === undefined) continue;
    if (typeof value === "string") target.append(name, value);
    else for (const v of value) target.append(name, v);
  }
  return target;
}
