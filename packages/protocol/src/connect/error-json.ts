import { fromBinary, type JsonValue, type Registry, toJson } from "@bufbuild/protobuf";
import { base64Decode, base64Encode } from "../base64.js";
import { type Code, codeFromString, codeToString } from "../code.js";
import { ConnectError, type ErrorDetail } from "../connect-error.js";
import type { Metadata } from "../metadata.js";

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** The JSON shape of a Connect error. */
export interface ErrorJson {
  code: string;
  message?: string;
  details?: { type: string; value: string; debug?: JsonValue }[];
}

/**
 * The Connect JSON form of an error. Details carry unpadded base64 values;
 * when a detail has a `debug` form, or its type is in the registry, the JSON
 * form is added under `debug` for people reading the wire.
 */
export function errorToJson(error: ConnectError, registry?: Registry): ErrorJson {
  const out: ErrorJson = { code: codeToString(error.code) };
  if (error.rawMessage.length > 0) out.message = error.rawMessage;
  if (error.details.length > 0) {
    out.details = error.details.map((d) => {
      const item: { type: string; value: string; debug?: JsonValue } = {
        type: d.type,
        // Standard alphabet without padding, as the spec requires.
        value: base64Encode(d.value).replace(/=+$/, ""),
      };
      const debug = d.debug ?? debugJson(d, registry);
      if (debug !== undefined) item.debug = debug as JsonValue;
      return item;
    });
  }
  return out;
}

/** {@link errorToJson}, as UTF-8 bytes. */
export function errorToJsonBytes(error: ConnectError, registry?: Registry): Uint8Array {
  return utf8.encode(JSON.stringify(errorToJson(error, registry)));
}

/**
 * Reads a Connect error from parsed JSON, leniently: unknown keys are ignored,
 * malformed details are skipped, and a missing or unknown code is replaced by
 * `fallbackCode` (which the caller infers from the HTTP status). Returns
 * `undefined` if the value is not an object, so the caller can fall back
 * entirely.
 */
export function errorFromJson(
  json: unknown,
  metadata: Metadata | undefined,
  fallbackCode: Code,
): ConnectError | undefined {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return undefined;
  const obj = json as Record<string, unknown>;
  const code =
    (typeof obj.code === "string" ? codeFromString(obj.code) : undefined) ?? fallbackCode;
  const message = typeof obj.message === "string" ? obj.message : "";
  const details: ErrorDetail[] = [];
  if (Array.isArray(obj.details)) {
    for (const raw of obj.details) {
      const detail = detailFromJson(raw);
      if (detail !== undefined) details.push(detail);
    }
  }
  return new ConnectError(message, code, { metadata, details });
}

/**
 * Reads a Connect error from bytes. Bytes that are not an error object give
 * `undefined`.
 */
export function errorFromJsonBytes(
  bytes: Uint8Array,
  metadata: Metadata | undefined,
  fallbackCode: Code,
): ConnectError | undefined {
  let json: unknown;
  try {
    json = JSON.parse(utf8Decoder.decode(bytes));
  } catch {
    return undefined;
  }
  return errorFromJson(json, metadata, fallbackCode);
}

function detailFromJson(raw: unknown): ErrorDetail | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const { type, value, debug } = raw as Record<string, unknown>;
  if (typeof type !== "string" || type.length === 0) return undefined;
  let bytes: Uint8Array;
  if (value === undefined || value === "") bytes = new Uint8Array(0);
  else if (typeof value !== "string") return undefined;
  else {
    try {
      bytes = base64Decode(value);
    } catch {
      return undefined;
    }
  }
  const slash = type.lastIndexOf("/");
  const name = slash >= 0 ? type.slice(slash + 1) : type;
  return debug === undefined ? { type: name, value: bytes } : { type: name, value: bytes, debug };
}

function debugJson(detail: ErrorDetail, registry: Registry | undefined): unknown {
  const desc = registry?.getMessage(detail.type);
  if (desc === undefined) return undefined;
  try {
    return toJson(desc, fromBinary(desc, detail.value), { registry });
  } catch {
    return undefined;
  }
}
