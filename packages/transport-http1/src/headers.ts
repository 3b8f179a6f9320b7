import type { IncomingHttpHeaders } from "node:http";
import type { Metadata } from "@connect-ts/protocol";

/**
 * Headers the transport manages itself: undici rejects the connection-level
 * ones, and sets `content-length` / `transfer-encoding` from the body.
 */
const managed = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "expect",
  "content-length",
]);

/**
 * Flattens metadata to undici's cheapest header form, `[name, value, name,
 * value, ...]`, repeating a name for each of its values.
 */
export function toUndiciHeaders(metadata: Metadata): string[] {
  const out: string[] = [];
  for (const [name, values] of metadata.entries()) {
    if (managed.has(name)) continue;
    for (const value of values) out.push(name, value);
  }
  return out;
}

/** Copies undici's parsed header object (lower-case names) into `target`. */
export function fromUndiciHeaders(headers: IncomingHttpHeaders, target: Metadata): Metadata {
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined) continue;
    if (typeof value === "string") target.append(name, value);
    else for (const v of value) target.append(name, v);
  }
  return target;
}
