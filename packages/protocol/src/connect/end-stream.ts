import type { Registry } from "@bufbuild/protobuf";
import { Code } from "../code.js";
import { ConnectError } from "../connect-error.js";
import { Metadata } from "../metadata.js";
import { type ErrorJson, errorFromJson, errorToJson } from "./error-json.js";

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

/** The content of a Connect end-stream message: trailers and, if the call failed, the error. */
export interface EndStream {
  readonly metadata: Metadata;
  readonly error: ConnectError | undefined;
}

/**
 * Encodes the end-stream message: `{"error": ..., "metadata": {...}}`, each
 * part present only when there is something to say. The error's own
 * metadata travels with the trailers.
 */
export function encodeEndStream(
  trailers: Metadata,
  error: ConnectError | undefined,
  registry?: Registry,
): Uint8Array {
  const out: { error?: ErrorJson; metadata?: Record<string, string[]> } = {};
  if (error !== undefined) out.error = errorToJson(error, registry);
  let metadata: Record<string, string[]> | undefined;
  const add = (m: Metadata) => {
    for (const [name, values] of m.entries()) {
      metadata ??= {};
      const list = metadata[name];
      if (list === undefined) metadata[name] = values.slice();
      else list.push(...values);
    }
  };
  add(trailers);
  if (error !== undefined) add(error.metadata);
  if (metadata !== undefined) out.metadata = metadata;
  return utf8.encode(JSON.stringify(out));
}

/**
 * Parses an end-stream message. Its trailers are merged into the error's
 * metadata together with `headers`, so an error carries everything the
 * server sent. Malformed input is an `internal` error (or `code`).
 */
export function parseEndStream(
  data: Uint8Array,
  headers: Metadata | undefined,
  code: Code = Code.Internal,
): EndStream {
  let json: unknown;
  try {
    json = JSON.parse(utf8Decoder.decode(data));
  } catch (e) {
    throw new ConnectError("protocol error: invalid end-stream message", code, { cause: e });
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new ConnectError("protocol error: end-stream message is not an object", code);
  }
  const obj = json as Record<string, unknown>;
  const metadata = new Metadata();
  if (obj.metadata !== undefined && obj.metadata !== null) {
    if (typeof obj.metadata !== "object" || Array.isArray(obj.metadata)) {
      throw new ConnectError("protocol error: invalid end-stream metadata", code);
    }
    for (const [name, values] of Object.entries(obj.metadata as Record<string, unknown>)) {
      if (!Array.isArray(values) || !values.every((v) => typeof v === "string")) {
        throw new ConnectError(`protocol error: invalid end-stream metadata "${name}"`, code);
      }
      for (const v of values as string[]) metadata.append(name, v);
    }
  }
  let error: ConnectError | undefined;
  // `"error": null` is read as no error, as other implementations do.
  if (obj.error !== undefined && obj.error !== null) {
    const all = new Metadata(headers);
    all.merge(metadata);
    error = errorFromJson(obj.error, all, Code.Unknown);
    if (error === undefined) {
      throw new ConnectError("protocol error: invalid error in end-stream message", code);
    }
  }
  return { metadata, error };
}
