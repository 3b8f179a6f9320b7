import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import type { ErrorDetail } from "../connect-error.js";

/** The prefix of the type URL in a packed `google.protobuf.Any`. */
const typeUrlPrefix = "type.googleapis.com/";

/** What `grpc-status-details-bin` carries: a `google.rpc.Status`. */
export interface RpcStatus {
  readonly code: number;
  readonly message: string;
  readonly details: ErrorDetail[];
}

// google.rpc.Status is three fields: int32 code = 1, string message = 2,
// repeated google.protobuf.Any details = 3; Any is string type_url = 1,
// bytes value = 2. Written by hand so the package needs no generated code
// for a message it only ever reads and writes whole.

/** Encodes a `google.rpc.Status` in the binary format. */
export function encodeRpcStatus(status: RpcStatus): Uint8Array {
  const w = new BinaryWriter();
  if (status.code !== 0) w.tag(1, WireType.Varint).int32(status.code);
  if (status.message.length > 0) w.tag(2, WireType.LengthDelimited).string(status.message);
  for (const d of status.details) {
    w.tag(3, WireType.LengthDelimited).fork();
    w.tag(1, WireType.LengthDelimited).string(typeUrlPrefix + d.type);
    if (d.value.length > 0) w.tag(2, WireType.LengthDelimited).bytes(d.value);
    w.join();
  }
  return w.finish();
}

/**
 * Decodes a `google.rpc.Status`. Unknown fields are skipped; malformed
 * input throws (the caller decides the code).
 */
export function decodeRpcStatus(bytes: Uint8Array): RpcStatus {
  const r = new BinaryReader(bytes);
  let code = 0;
  let message = "";
  const details: ErrorDetail[] = [];
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === WireType.Varint) code = r.int32();
    else if (field === 2 && wire === WireType.LengthDelimited) message = r.string();
    else if (field === 3 && wire === WireType.LengthDelimited) details.push(decodeAny(r.bytes()));
    else r.skip(wire);
  }
  return { code, message, details };
}

function decodeAny(bytes: Uint8Array): ErrorDetail {
  const r = new BinaryReader(bytes);
  let typeUrl = "";
  let value: Uint8Array = new Uint8Array(0);
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === WireType.LengthDelimited) typeUrl = r.string();
    else if (field === 2 && wire === WireType.LengthDelimited) value = r.bytes();
    else r.skip(wire);
  }
  const slash = typeUrl.lastIndexOf("/");
  return { type: slash >= 0 ? typeUrl.slice(slash + 1) : typeUrl, value };
}
