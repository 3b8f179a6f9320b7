import { setErrorParts } from "../call-metadata.js";
import { Code } from "../code.js";
import type { Compression } from "../compression.js";
import { decompressMessage, IDENTITY } from "../compression-negotiation.js";
import { ConnectError } from "../connect-error.js";
import type { HttpResponse } from "../http.js";
import { Metadata } from "../metadata.js";
import type { ClientMethodConfig } from "../protocol.js";
import { errorFromJsonBytes } from "./error-json.js";
import { httpStatusToCode } from "./http-status.js";
import { headerUnaryEncoding, trailerPrefix } from "./request-header.js";

/** Builds the error of a non-200 response: the Connect error JSON if there is one, else the status. */
export async function unaryError(
  res: HttpResponse,
  headers: Metadata,
  trailers: Metadata,
  config: ClientMethodConfig,
): Promise<ConnectError> {
  const fallback = httpStatusToCode(res.status);
  const metadata = merged(headers, trailers);
  let err: ConnectError | undefined;
  const type = res.headers.get("content-type") ?? "";
  if (/^application\/json\b/i.test(type)) {
    try {
      let bytes = await res.body.readAll(config.readMaxBytes);
      const compression = responseCompression(res.headers.get(headerUnaryEncoding), config);
      if (compression !== undefined && bytes.length > 0) {
        bytes = await decompressMessage(compression, bytes, config.readMaxBytes, Code.Internal);
      }
      err = errorFromJsonBytes(bytes, metadata, fallback);
    } catch {
      // An unreadable error body leaves the HTTP status as the only evidence.
    }
  } else {
    res.body.cancel();
  }
  err ??= new ConnectError(`HTTP ${res.status}`, fallback, { metadata });
  return withParts(err, headers, trailers);
}

/**
 * The error of a successful response in the wrong content type: `internal`
 * for another Connect codec (a peer that misbehaves), `unknown` for anything
 * else (most likely not a Connect server at all).
 */
export function contentTypeError(
  got: string | undefined,
  want: string,
  family: string,
): ConnectError {
  const code = got?.toLowerCase().startsWith(family) ? Code.Internal : Code.Unknown;
  return new ConnectError(
    `protocol error: unexpected content-type "${got ?? ""}" in response, want "${want}"`,
    code,
  );
}

/** Finds the compression a response names, which must be one the client offered. */
export function responseCompression(
  name: string | undefined,
  config: ClientMethodConfig,
): Compression | undefined {
  if (name === undefined || name === IDENTITY || name === "") return undefined;
  const found = config.acceptCompression.find((c) => c.name === name);
  if (found === undefined) {
    throw new ConnectError(
      `protocol error: response uses compression "${name}", which the client does not accept`,
      Code.Internal,
    );
  }
  return found;
}

/** The value of an accept-encoding header for a list of compressions, if any. */
export function acceptHeader(accept: readonly Compression[]): string | undefined {
  return accept.length > 0 ? accept.map((c) => c.name).join(", ") : undefined;
}

/** Fails with `resource_exhausted` when a message is larger than the write limit. */
export function checkWriteLimit(size: number, max: number): void {
  if (size > max) {
    throw new ConnectError(
      `message size ${size} is larger than configured max ${max}`,
      Code.ResourceExhausted,
    );
  }
}

/**
 * Separates unary trailers, sent as `trailer-` headers, from the real headers.
 * Without any (the common case) the headers are returned as they are, not copied.
 */
export function splitTrailers(all: Metadata): [Metadata, Metadata] {
  let any = false;
  for (const name of all.keys()) {
    if (name.startsWith(trailerPrefix)) {
      any = true;
      break;
    }
  }
  if (!any) return [all, new Metadata()];
  const headers = new Metadata();
  const trailers = new Metadata();
  for (const [name, values] of all.entries()) {
    if (name.startsWith(trailerPrefix)) trailers.set(name.slice(trailerPrefix.length), values);
    else headers.set(name, values);
  }
  return [headers, trailers];
}

/** Headers and trailers in one. */
export function merged(headers: Metadata, trailers: Metadata): Metadata {
  return new Metadata(headers).merge(trailers);
}

/** Gives an error the call's headers and trailers if it carries no metadata of its own. */
export function addMetadata(
  err: ConnectError,
  headers: Metadata,
  trailers: Metadata,
): ConnectError {
  if (err.metadata.size === 0) err.metadata.merge(headers).merge(trailers);
  return err;
}

/** Records an error's headers and trailers apart, for the low-level call outputs. */
export function withParts(err: ConnectError, headers: Metadata, trailers: Metadata): ConnectError {
  setErrorParts(err, headers, trailers);
  return err;
}
