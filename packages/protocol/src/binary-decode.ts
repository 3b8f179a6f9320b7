import { ScalarType } from "@bufbuild/protobuf";
import { type BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { type FieldPlan, Kind, type Plan, recursionLimit } from "./binary-plan.js";

/**
 * Reads one message's fields up to `end`. Undefined when the input needs
 * protobuf-es: an unknown field (kept as unknown there), a wire type that
 * does not match, a message field seen twice (merged there), or a length
 * that does not end where the message does.
 */
export function readFields(
  plan: Plan,
  reader: BinaryReader,
  end: number,
  depth: number,
): Record<string, unknown> | undefined {
  if (depth >= recursionLimit) return undefined;
  const message = { ...plan.zero };
  for (const name of plan.bytesFields) message[name] = new Uint8Array(0);
  for (const name of plan.listFields) message[name] = [];
  while (reader.pos < end) {
    const tag = reader.uint32();
    const field = plan.byNumber.get(tag >>> 3);
    if (field === undefined) return undefined;
    const wireType = tag & 7;
    switch (field.kind) {
      case Kind.Message: {
        if (wireType !== field.wireType || message[field.name] !== undefined) return undefined;
        const nested = readNested(field, reader, depth);
        if (nested === undefined) return undefined;
        message[field.name] = nested;
        break;
      }
      case Kind.MessageList: {
        if (wireType !== field.wireType) return undefined;
        const nested = readNested(field, reader, depth);
        if (nested === undefined) return undefined;
        (message[field.name] as unknown[]).push(nested);
        break;
      }
      case Kind.ScalarList:
        if (!readListed(reader, field, wireType, message[field.name] as unknown[]))
          return undefined;
        break;
      default:
        if (wireType !== field.wireType) return undefined;
        message[field.name] = readScalar(reader, field);
    }
  }
  return reader.pos === end ? message : undefined;
}

/** A length-delimited message, or undefined if it needs protobuf-es. */
function readNested(
  field: FieldPlan,
  reader: BinaryReader,
  depth: number,
): Record<string, unknown> | undefined {
  const length = reader.uint32();
  return readFields(field.message!, reader, reader.pos + length, depth + 1);
}

/**
 * Reads one record of a scalar list into it: a single element, or a packed
 * run of them (accepted whether or not the field is declared packed, as
 * parsers must). False if the record needs protobuf-es.
 */
function readListed(
  reader: BinaryReader,
  field: FieldPlan,
  wireType: number,
  list: unknown[],
): boolean {
  // Strings and bytes are length-delimited elements, never packed: this takes them.
  if (wireType === field.wireType) {
    list.push(readScalar(reader, field));
    return true;
  }
  if (wireType !== WireType.LengthDelimited) return false;
  const end = reader.uint32() + reader.pos;
  while (reader.pos < end) list.push(readScalar(reader, field));
  return reader.pos === end;
}

function readScalar(reader: BinaryReader, field: FieldPlan): unknown {
  switch (field.scalar) {
    case ScalarType.STRING:
      return reader.string(field.validateUtf8);
    case ScalarType.BYTES:
      return reader.bytes();
    case ScalarType.BOOL:
      return reader.bool();
    case ScalarType.DOUBLE:
      return reader.double();
    case ScalarType.FLOAT:
      return reader.float();
    case ScalarType.INT32:
      return reader.int32();
    case ScalarType.UINT32:
      return reader.uint32();
    case ScalarType.SINT32:
      return reader.sint32();
    case ScalarType.FIXED32:
      return reader.fixed32();
    case ScalarType.SFIXED32:
      return reader.sfixed32();
    case ScalarType.INT64:
      return reader.int64();
    case ScalarType.UINT64:
      return reader.uint64();
    case ScalarType.SINT64:
      return reader.sint64();
    case ScalarType.FIXED64:
      return reader.fixed64();
    case ScalarType.SFIXED64:
      return reader.sfixed64();
  }
}
