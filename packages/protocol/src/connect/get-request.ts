import { base64Decode, base64Encode } from "../base64.js";
import type { CodecName } from "../client-types.js";
import { Code } from "../code.js";
import { ConnectError } from "../connect-error.js";

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/**
 * The query of a Connect GET request, parameters in the order the spec
 * recommends so caches see one spelling: `connect=v1`, `encoding`, `message`,
 * `base64`, `compression`. JSON goes percent-encoded, readable in logs;
 * binary or compressed messages go as unpadded URL-safe base64.
 */
export function encodeGetQuery(
  codec: CodecName,
  message: Uint8Array,
  compression: string | undefined,
): string {
  let query = `connect=v1&encoding=${codec}&message=`;
  if (codec === "json" && compression === undefined) {
    query += encodeURIComponent(utf8Decoder.decode(message));
  } else {
    query += `${base64Encode(message, true)}&base64=1`;
  }
  if (compression !== undefined) query += `&compression=${encodeURIComponent(compression)}`;
  return query;
}

/** A Connect GET query, parsed. */
export interface GetQuery {
  /** The `encoding` parameter; the caller checks it is a codec it serves. */
  readonly encoding: string | undefined;
  /** The `connect` parameter (`v1` when present and correct). */
  readonly connect: string | undefined;
  readonly compression: string | undefined;
  readonly message: Uint8Array;
}

/**
 * Parses a Connect GET query, in any parameter order, ignoring unknown
 * parameters. A `message` that is not valid base64 when `base64=1` is an
 * `invalid_argument` error.
 */
export function parseGetQuery(query: string): GetQuery {
  const params = new URLSearchParams(query);
  const text = params.get("message") ?? "";
  let message: Uint8Array;
  if (params.get("base64") === "1") {
    try {
      message = base64Decode(text);
    } catch (e) {
      throw new ConnectError(
        "protocol error: invalid base64 in message query parameter",
        Code.InvalidArgument,
        {
          cause: e,
        },
      );
    }
  } else {
    message = utf8.encode(text);
  }
  return {
    encoding: params.get("encoding") ?? undefined,
    connect: params.get("connect") ?? undefined,
    compression: params.get("compression") ?? undefined,
    message,
  };
}
