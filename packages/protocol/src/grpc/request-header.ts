import type { CodecName } from "../client-types.js";
import { grpcWebContentTypeBase } from "../grpc-web/request-header.js";

/** The content type every gRPC request and response starts with. */
export const grpcContentTypeBase = "application/grpc";
/** What clients call themselves, in the structure the gRPC spec recommends. */
export const grpcUserAgent = "grpc-typescript-connect-ts/0.1.0";
/** The encoding of the messages, per message flagged in the envelope. */
export const headerEncoding = "grpc-encoding";
/** The encodings the sender can read back. */
export const headerAcceptEncoding = "grpc-accept-encoding";
/** The status code of a finished call, in the trailers. */
export const headerStatus = "grpc-status";
/** The percent-encoded status message. */
export const headerMessage = "grpc-message";
/** A `google.rpc.Status` carrying the error details, base64-encoded. */
export const headerStatusDetails = "grpc-status-details-bin";

/** A gRPC or gRPC-Web content type, parsed. */
export interface GrpcContentType {
  readonly codec: CodecName;
  /** The bare form (`application/grpc`, no `+codec`), which means Protobuf. */
  readonly bare: boolean;
}

const grpcRe = /^application\/grpc(?:\+(proto|json))?\s*(?:;.*)?$/i;
const grpcWebRe = /^application\/grpc-web(?:\+(proto|json))?\s*(?:;.*)?$/i;

/**
 * Parses a gRPC content type (`application/grpc`, `application/grpc+proto`,
 * `application/grpc+json`), or with `web` its gRPC-Web twin. Parameters after
 * a `;` are allowed; other codecs and anything else give `undefined`.
 */
export function parseGrpcContentType(
  value: string | undefined,
  web: boolean,
): GrpcContentType | undefined {
  if (value === undefined) return undefined;
  const m = (web ? grpcWebRe : grpcRe).exec(value);
  if (m === null) return undefined;
  const sub = m[1]?.toLowerCase() as CodecName | undefined;
  return { codec: sub ?? "proto", bare: sub === undefined };
}

/**
 * The content type a client sends. Protobuf goes as the bare type, which
 * every gRPC server accepts; JSON needs its suffix.
 */
export function grpcContentType(codec: CodecName, web: boolean): string {
  const base = web ? grpcWebContentTypeBase : grpcContentTypeBase;
  return codec === "proto" && !web ? base : `${base}+${codec}`;
}

/**
 * Tells whether a response content type looks like gRPC at all, whatever
 * the codec: a mismatch then is a broken server (`internal`); something else
 * entirely is not a gRPC server (`unknown`).
 */
export function looksLikeGrpc(value: string | undefined, web: boolean): boolean {
  if (value === undefined) return false;
  const base = web ? grpcWebContentTypeBase : grpcContentTypeBase;
  const lower = value.toLowerCase();
  if (!lower.startsWith(base)) return false;
  const next = lower.charAt(base.length);
  return next === "" || next === "+" || next === ";";
}
