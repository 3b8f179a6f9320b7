import { base64Encode } from "../base64.js";
import { Code, isCode } from "../code.js";
import { ConnectError } from "../connect-error.js";
import type { Metadata } from "../metadata.js";
import { headerMessage, headerStatus, headerStatusDetails } from "./request-header.js";
import { decodeRpcStatus, encodeRpcStatus } from "./status-details.js";

const utf8 = new TextEncoder();
const utf8Lenient = new TextDecoder("utf-8");

/**
 * Percent-encodes a status message for `grpc-message`: every byte of its
 * UTF-8 form outside printable ASCII, and `%` itself, becomes `%XX`.
 */
export function percentEncodeMessage(text: string): string {
  let plain = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x25) {
      plain = false;
      break;
    }
  }
  if (plain) return text;
  let out = "";
  for (const byte of utf8.encode(text)) {
    out +=
      byte < 0x20 || byte > 0x7e || byte === 0x25
        ? `%${byte.toString(16).toUpperCase().padStart(2, "0")}`
        : String.fromCharCode(byte);
  }
  return out;
}

/**
 * Decodes `grpc-message`. Leniently, as the spec asks of clients: a `%` not
 * followed by two hex digits stays as it is, and bytes that are not UTF-8
 * become U+FFFD.
 */
export function percentDecodeMessage(text: string): string {
  if (!text.includes("%")) return text;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25 && i + 2 < text.length && isHex(text, i + 1) && isHex(text, i + 2)) {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x80) {
      bytes.push(c);
    } else {
      for (const b of utf8.encode(text[i]!)) bytes.push(b);
    }
  }
  return utf8Lenient.decode(new Uint8Array(bytes));
}

function isHex(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/**
 * Writes the outcome of a call into trailers: `grpc-status` (0 for
 * success), and for an error `grpc-message`, the error's own metadata and,
 * when it has details, `grpc-status-details-bin` with a `google.rpc.Status`.
 */
export function setStatusTrailers(trailers: Metadata, error: ConnectError | undefined): void {
  if (error === undefined) {
    trailers.set(headerStatus, "0");
    return;
  }
  trailers.merge(error.metadata);
  trailers.set(headerStatus, String(error.code));
  trailers.set(headerMessage, percentEncodeMessage(error.rawMessage));
  if (error.details.length > 0) {
    const bin = encodeRpcStatus({
      code: error.code,
      message: error.rawMessage,
      details: error.details,
    });
    // Binary headers go unpadded, as the spec recommends to senders.
    trailers.set(headerStatusDetails, base64Encode(bin).replace(/=+$/, ""));
  }
}

/**
 * Reads the outcome of a call from metadata holding `grpc-status` (the
 * trailers, or the headers of a trailers-only response): `undefined` for
 * success, else the error, with `metadata` attached. Details in
 * `grpc-status-details-bin` win over the plain headers, as in other gRPC
 * implementations. A malformed status is an `internal` error; a code outside
 * the 16 known ones becomes `unknown`.
 */
export function errorFromStatus(trailers: Metadata, metadata: Metadata): ConnectError | undefined {
  const status = trailers.get(headerStatus)?.trim() ?? "";
  if (!/^[0-9]{1,10}$/.test(status)) {
    return new ConnectError(`protocol error: invalid grpc-status "${status}"`, Code.Internal, {
      metadata,
    });
  }
  const num = Number(status);
  if (num === 0) return undefined;
  let code: Code = isCode(num) ? num : Code.Unknown;
  let message = percentDecodeMessage(trailers.get(headerMessage) ?? "");
  let details: ConnectError["details"] = [];
  const bin = trailers.getAll(headerStatusDetails)[0];
  if (bin !== undefined && bin.length > 0) {
    try {
      const decoded = decodeRpcStatus(trailers.getBinary(headerStatusDetails)!);
      details = decoded.details;
      if (isCode(decoded.code)) code = decoded.code;
      if (decoded.message.length > 0) message = decoded.message;
    } catch (e) {
      return new ConnectError("protocol error: invalid grpc-status-details-bin", Code.Internal, {
        metadata,
        cause: e,
      });
    }
  }
  return new ConnectError(message, code, { metadata, details });
}

/** Removes the status entries, leaving the trailers an application sent. */
export function withoutStatus(trailers: Metadata): Metadata {
  trailers.delete(headerStatus);
  trailers.delete(headerMessage);
  trailers.delete(headerStatusDetails);
  return trailers;
}
