import type { CodecName } from "../client-types.js";

/** Header names and values of the Connect protocol. */
export const headerProtocolVersion = "connect-protocol-version";
/** The one protocol version there is. */
export const protocolVersion = "1";
/** Unary compression uses the standard HTTP headers. */
export const headerUnaryEncoding = "content-encoding";
/** The encodings a unary client accepts. */
export const headerUnaryAcceptEncoding = "accept-encoding";
/** Streaming compression has headers of its own, so HTTP stacks leave the body alone. */
export const headerStreamEncoding = "connect-content-encoding";
/** The encodings a streaming client accepts. */
export const headerStreamAcceptEncoding = "connect-accept-encoding";
/** Prefix of unary trailers sent as headers. */
export const trailerPrefix = "trailer-";

/** The content type of a unary call in a codec, e.g. `application/proto`. */
export function unaryContentType(codec: CodecName): string {
  return `application/${codec}`;
}

/** The content type of a streaming call in a codec, e.g. `application/connect+proto`. */
export function streamContentType(codec: CodecName): string {
  return `application/connect+${codec}`;
}

/** A Connect content type, parsed. */
export interface ParsedContentType {
  readonly stream: boolean;
  readonly codec: CodecName;
}

const commonContentTypes = new Map<string, ParsedContentType>([
  ["application/proto", Object.freeze({ stream: false, codec: "proto" })],
  ["application/json", Object.freeze({ stream: false, codec: "json" })],
  ["application/connect+proto", Object.freeze({ stream: true, codec: "proto" })],
  ["application/connect+json", Object.freeze({ stream: true, codec: "json" })],
]);

const contentTypeRe =
  /^application\/(connect\+)?(proto|json)(?:\s*;\s*charset\s*=\s*"?utf-8"?)?\s*$/i;

/**
 * Parses a Connect content type (`application/proto`, `application/json`,
 * `application/connect+proto`, `application/connect+json`, with an optional
 * UTF-8 charset). Anything else gives `undefined`.
 */
export function parseContentType(value: string | undefined): ParsedContentType | undefined {
  if (value === undefined) return undefined;
  // Nearly every request spells its content type exactly one of four ways;
  // those skip the regular expression and its match array.
  const common = commonContentTypes.get(value);
  if (common !== undefined) return common;
  const m = contentTypeRe.exec(value);
  if (m === null) return undefined;
  return { stream: m[1] !== undefined, codec: m[2]!.toLowerCase() as CodecName };
}
