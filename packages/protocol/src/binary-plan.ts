import { create, type DescField, type DescMessage, ScalarType } from "@bufbuild/protobuf";
import { Edition, FeatureSet_FieldPresence, isWrapperDesc } from "@bufbuild/protobuf/wkt";
import { WireType } from "@bufbuild/protobuf/wire";

/** How a field is read and written. */
export enum Kind {
  /** A scalar or open enum with implicit presence: absent when zero. */
  Implicit,
  /** A proto3 `optional` scalar or enum: absent when undefined. */
  Explicit,
  Message,
  /** A repeated scalar or enum: absent when empty. */
  ScalarList,
  /** A repeated message: absent when empty. */
  MessageList,
}

export interface FieldPlan {
  readonly number: number;
  readonly name: string;
  readonly kind: Kind;
  /** The scalar type; enums are int32 on the wire. */
  readonly scalar: ScalarType;
  readonly wireType: WireType;
  /** The encoded tag (field number and wire type). */
  readonly tag: Uint8Array;
  /** A scalar list written packed: the tag of its one length-delimited record. */
  readonly packedTag: Uint8Array | undefined;
  readonly validateUtf8: boolean;
  /** The type of a message field. */
  readonly nested: DescMessage | undefined;
  /** The plan of a message field's type, set once every type it reaches is planned. */
  message: Plan | undefined;
}

export interface Plan {
  /** In field-number order, as protobuf-es writes them. */
  readonly fields: readonly FieldPlan[];
  readonly byNumber: ReadonlyMap<number, FieldPlan>;
  /** `create(desc)` as it comes out, copied for each message read. */
  readonly zero: Record<string, unknown>;
  /** Fields whose zero value is a `Uint8Array`, which each message needs its own of. */
  readonly bytesFields: readonly string[];
  /** List fields, whose empty array each message needs its own of too. */
  readonly listFields: readonly string[];
}

/** Beyond this depth protobuf-es reads the message, and fails as it does. */
export const recursionLimit = 100;

const plans = new WeakMap<DescMessage, Plan | null>();

/**
 * The plan of a message type, or undefined if it is not of the shape read
 * here. Every type a message can hold must be of it too, so the types it
 * reaches are planned together, and cached only when all of them are.
 */
export function planOf(desc: DescMessage): Plan | undefined {
  const known = plans.get(desc);
  if (known !== undefined) return known ?? undefined;
  const found = new Map<DescMessage, Plan>();
  const pending = [desc];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (found.has(next)) continue;
    const cached = plans.get(next);
    const plan = cached === undefined ? shallowPlan(next) : (cached ?? undefined);
    if (plan === undefined) {
      plans.set(desc, null);
      return undefined;
    }
    found.set(next, plan);
    for (const field of plan.fields) if (field.nested !== undefined) pending.push(field.nested);
  }
  for (const plan of found.values()) {
    for (const field of plan.fields) {
      if (field.nested !== undefined) field.message ??= found.get(field.nested);
    }
  }
  for (const [type, plan] of found) plans.set(type, plan);
  return found.get(desc);
}

function shallowPlan(desc: DescMessage): Plan | undefined {
  if (desc.file.edition !== Edition.EDITION_PROTO3) return undefined;
  if (desc.members.some((m) => m.kind !== "field")) return undefined;
  const fields: FieldPlan[] = [];
  for (const field of desc.fields) {
    const plan = fieldPlan(field);
    if (plan === undefined) return undefined;
    const packed = field.fieldKind === "list" && field.listKind !== "message" && field.packed;
    fields.push({
      ...plan,
      tag: encodeTag(plan.number, plan.wireType),
      packedTag: packed ? encodeTag(plan.number, WireType.LengthDelimited) : undefined,
    });
  }
  fields.sort((a, b) => a.number - b.number);
  // Copied once: create() adds one property at a time, and past a dozen V8
  // keeps such an object as a dictionary, which every copy of it would be too
  // (and slow to make). A spread copy has a fixed shape, and so do its copies.
  const zero = { ...(create(desc) as unknown as Record<string, unknown>) };
  const bytesFields = Object.keys(zero).filter((k) => zero[k] instanceof Uint8Array);
  const listFields = Object.keys(zero).filter((k) => Array.isArray(zero[k]));
  return {
    fields,
    byNumber: new Map(fields.map((f) => [f.number, f])),
    zero,
    bytesFields,
    listFields,
  };
}

type PlannedField = Omit<FieldPlan, "tag" | "packedTag">;

function fieldPlan(field: DescField): PlannedField | undefined {
  const implicit = field.presence === FeatureSet_FieldPresence.IMPLICIT;
  const single = implicit ? Kind.Implicit : Kind.Explicit;
  switch (field.fieldKind) {
    case "scalar":
      return field.longAsString ? undefined : scalarPlan(field, single, field.scalar, field);
    case "enum":
      return field.enum.open ? scalarPlan(field, single, ScalarType.INT32) : undefined;
    case "message":
      // A wrapper in a singular field stands for its value, not a message.
      if (isWrapperDesc(field.message)) return undefined;
      return messagePlan(field, Kind.Message, field.message, field.delimitedEncoding);
    case "list":
      switch (field.listKind) {
        case "scalar":
          if (field.longAsString) return undefined;
          return scalarPlan(field, Kind.ScalarList, field.scalar, field);
        case "enum":
          return field.enum.open ? scalarPlan(field, Kind.ScalarList, ScalarType.INT32) : undefined;
        case "message":
          return messagePlan(field, Kind.MessageList, field.message, field.delimitedEncoding);
      }
      return undefined;
    default:
      return undefined;
  }
}

/** A scalar or enum field, single or listed; enums are int32 on the wire. */
function scalarPlan(
  field: DescField,
  kind: Kind,
  scalar: ScalarType,
  utf8?: { utf8Validation: boolean },
): PlannedField {
  return {
    number: field.number,
    name: field.localName,
    kind,
    scalar,
    wireType: wireTypeOf(scalar),
    validateUtf8: utf8?.utf8Validation ?? false,
    nested: undefined,
    message: undefined,
  };
}

/** A message field, single or listed; undefined for the types that are not plain messages. */
function messagePlan(
  field: DescField,
  kind: Kind,
  type: DescMessage,
  delimited: boolean,
): PlannedField | undefined {
  // Struct may stand for a JSON object in a field; groups are not length-delimited.
  if (delimited || type.typeName === "google.protobuf.Struct") return undefined;
  return {
    number: field.number,
    name: field.localName,
    kind,
    // Not read for messages; bytes share their wire type.
    scalar: ScalarType.BYTES,
    wireType: WireType.LengthDelimited,
    validateUtf8: false,
    nested: type,
    message: undefined,
  };
}

function wireTypeOf(scalar: ScalarType): WireType {
  switch (scalar) {
    case ScalarType.BYTES:
    case ScalarType.STRING:
      return WireType.LengthDelimited;
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return WireType.Bit64;
    case ScalarType.FLOAT:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      return WireType.Bit32;
    default:
      return WireType.Varint;
  }
}

function encodeTag(number: number, wireType: WireType): Uint8Array {
  const bytes: number[] = [];
  let value = ((number << 3) | wireType) >>> 0;
  while (value > 0x7f) {
    bytes.push((value & 0x7f) | 0x80);
    value >>>= 7;
  }
  bytes.push(value);
  return Uint8Array.from(bytes);
}
