import { Code } from "./code.js";
import type { Compression } from "./compression.js";
import { ConnectError } from "./connect-error.js";

/** The name that means "not compressed" in every encoding header. */
export const IDENTITY = "identity";

/** Splits an `Accept-Encoding`-style list into names, dropping weights and blanks. */
export function parseEncodingList(header: string | undefined): string[] {
  if (header === undefined) return [];
  const out: string[] = [];
  for (const part of header.split(",")) {
    const semi = part.indexOf(";");
    const name = (semi < 0 ? part : part.slice(0, semi)).trim().toLowerCase();
    if (name.length > 0) out.push(name);
  }
  return out;
}

/** What a server settled on for one call. */
export interface ServerCompression {
  /** How the request is compressed, if it is. */
  readonly request: Compression | undefined;
  /** How to compress the response, if at all. */
  readonly response: Compression | undefined;
}

/**
 * Settles the compression of a call on the server. An encoding the server
 * does not support fails with `unimplemented`, naming the supported ones;
 * the response uses the first encoding the client accepts that the server
 * has, or none.
 */
export function negotiateServerCompression(
  available: readonly Compression[],
  requestEncoding: string | undefined,
  acceptEncoding: string | undefined,
): ServerCompression {
  let request: Compression | undefined;
  if (requestEncoding !== undefined) {
    const name = requestEncoding.trim().toLowerCase();
    if (name !== IDENTITY && name !== "") {
      request = available.find((c) => c.name === name);
      if (request === undefined) {
        const supported = available.map((c) => c.name);
        throw new ConnectError(
          `unknown compression "${name}": supported encodings are ${supported.length > 0 ? supported.join(", ") : IDENTITY}`,
          Code.Unimplemented,
        );
      }
    }
  }
  let response: Compression | undefined;
  if (available.length > 0) {
    const accepted = acceptEncoding === undefined ? [] : parseEncodingList(acceptEncoding);
    for (const name of accepted) {
      response = available.find((c) => c.name === name);
      if (response !== undefined) break;
    }
    // A client that compressed its request can read the same encoding back.
    if (response === undefined && request !== undefined && acceptEncoding === undefined) {
      response = request;
    }
  }
  return { request, response };
}

/**
 * Decompresses one message within a limit, turning anything the codec throws
 * into a `ConnectError`: `code` for malformed input (`invalid_argument` on a
 * server, `internal` on a client), `resource_exhausted` past the limit.
 */
export async function decompressMessage(
  compression: Compression,
  data: Uint8Array,
  maxBytes: number,
  code: Code = Code.InvalidArgument,
): Promise<Uint8Array> {
  let out: Uint8Array;
  try {
    out = await compression.decompress(data, maxBytes);
  } catch (e) {
    if (e instanceof ConnectError) {
      // Bad input is the peer's fault: the caller's code says how to report it.
      if (e.code !== Code.InvalidArgument || code === Code.InvalidArgument) throw e;
      throw new ConnectError(e.rawMessage, code, { cause: e });
    }
    throw new ConnectError(`cannot decompress ${compression.name}: ${String(e)}`, code, {
      cause: e,
    });
  }
  if (out.length > maxBytes) {
    throw new ConnectError(
      `message size ${out.length} is larger than configured max ${maxBytes}`,
      Code.ResourceExhausted,
    );
  }
  return out;
}

/** Compresses one message, turning a codec failure into an `internal` `ConnectError`. */
export async function compressMessage(
  compression: Compression,
  data: Uint8Array,
): Promise<Uint8Array> {
  try {
    return await compression.compress(data);
  } catch (e) {
    throw ConnectError.from(e, Code.Internal);
  }
}
