import { create, toBinary } from "@bufbuild/protobuf";
import { PayloadSchema, StreamRequestSchema } from "../gen/bench/v1/bench_pb.js";

/** Bytes of a "small" unary payload. */
export const SMALL_BYTES = 100;
/** Bytes of a "large" unary payload. */
export const LARGE_BYTES = 1024 * 1024;

/** A deterministic payload of `size` bytes, so echoes can be checked byte by byte. */
export function makeData(size: number): Uint8Array {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 31 + 7) & 0xff;
  return data;
}

/** The serialized `Payload` message carrying `data`: a Connect unary request body. */
export function encodePayload(data: Uint8Array): Uint8Array {
  return toBinary(PayloadSchema, create(PayloadSchema, { data }));
}

/** The serialized `StreamRequest` message. */
export function encodeStreamRequest(count: number, size: number, hold: boolean): Uint8Array {
  return toBinary(StreamRequestSchema, create(StreamRequestSchema, { count, size, hold }));
}

/** Wraps a message in the 5-byte envelope that gRPC and Connect streams use (flags 0). */
export function envelope(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + message.byteLength);
  new DataView(out.buffer).setUint32(1, message.byteLength);
  out.set(message, 5);
  return out;
}

/** Tells whether two byte arrays hold the same bytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
