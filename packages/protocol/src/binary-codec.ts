import { type DescMessage, fromBinary, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { readFields } from "./binary-decode.js";
import { encodeMessage } from "./binary-encode.js";
import { planOf } from "./binary-plan.js";

/**
 * The protobuf binary format of one message type, for the serializers.
 *
 * protobuf-es's `fromBinary` and `toBinary` reach every field through a
 * reflection object, and its writer gathers bytes in arrays and chunks that
 * are copied together at the end. On small messages that is most of their
 * cost. Messages of the common shape (proto3 syntax; fields of scalar, open
 * enum and message types, single or repeated) are read here with
 * protobuf-es's own wire reader, field by field, and written in one exactly
 * sized buffer. Anything else (maps, oneofs, proto2 and editions files,
 * wrapper and Struct fields, 64-bit fields as strings) goes to protobuf-es whole, as
 * does any input this path does not expect (an unknown field, a message
 * field seen twice, a wire type that does not match, a length that does not
 * add up, a value of the wrong type): protobuf-es then reads or writes it,
 * or fails with its own error. The result is protobuf-es's, byte for byte.
 */
export interface BinaryCodec<T> {
  decode(bytes: Uint8Array): T;
  encode(message: T): Uint8Array;
}

/** Makes the codec of a message type. Made once per type and direction, never per call. */
export function binaryCodec<Desc extends DescMessage>(desc: Desc): BinaryCodec<MessageShape<Desc>> {
  const plan = planOf(desc);
  if (plan === undefined) {
    return {
      decode: (bytes) => fromBinary(desc, bytes),
      encode: (message) => toBinary(desc, message),
    };
  }
  return {
    decode(bytes) {
      try {
        const message = readFields(plan, new BinaryReader(bytes), bytes.byteLength, 0);
        if (message !== undefined) return message as MessageShape<Desc>;
      } catch {
        // Out of bounds, or bytes the reader refuses: protobuf-es says how.
      }
      return fromBinary(desc, bytes);
    },
    encode(message) {
      try {
        return encodeMessage(plan, message);
      } catch {
        // A value protobuf-es would refuse or coerce: it does either, its way.
        return toBinary(desc, message);
      }
    },
  };
}
