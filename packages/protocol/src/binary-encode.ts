import { protoInt64, ScalarType } from "@bufbuild/protobuf";
import type { WireType } from "@bufbuild/protobuf/wire";
import { type FieldPlan, Kind, type Plan } from "./binary-plan.js";
import { allocateBytes } from "./byte-slab.js";

/**
 * Encodes a message of a planned type in two passes: the first measures
 * every field (and checks its value, as protobuf-es's writer does), the
 * second writes into one buffer of exactly that size. protobuf-es's writer
 * collects numbers in arrays and chunks and copies them together at the end,
 * a dozen small allocations and a copy of every bytes field per message;
 * here there is one allocation and each byte is written once.
 *
 * Throws on a value protobuf-es would refuse, and on any value it would
 * coerce (a number given as a string, say), so that the caller can leave the
 * message to protobuf-es.
 */
export function encodeMessage(plan: Plan, message: object): Uint8Array {
  const sizes: number[] = [];
  const size = sizeFields(plan, message, sizes);
  const out = new Output(allocateBytes(size), sizes);
  writeFields(plan, message, out);
  if (out.pos !== size) throw new Error("encoded size mismatch");
  return out.buf;
}

type Unknown = { no: number; wireType: WireType; data: Uint8Array };

/** Whether a field is written: set ones are, in field-number order. */
function isWritten(field: FieldPlan, values: Record<string, unknown>, value: unknown): boolean {
  switch (field.kind) {
    case Kind.Implicit:
      return !isZero(field.scalar, value);
    case Kind.Explicit:
      return value !== undefined && Object.hasOwn(values, field.name);
    case Kind.Message:
      return value !== undefined;
    case Kind.ScalarList:
    case Kind.MessageList:
      if (!Array.isArray(value)) throw new TypeError("not a list");
      return value.length > 0;
  }
}

/** Whether an implicit-presence value is its type's zero, which is not written. */
function isZero(scalar: ScalarType, value: unknown): boolean {
  switch (scalar) {
    case ScalarType.BOOL:
      return value === false;
    case ScalarType.STRING:
      return value === "";
    case ScalarType.BYTES:
      return value instanceof Uint8Array && value.byteLength === 0;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return Object.is(value, 0);
    default:
      // Loosely, as protobuf-es compares: 0, 0n and "0" are all zero.
      // biome-ignore lint/suspicious/noDoubleEquals: see above
      return value == 0;
  }
}

/**
 * The encoded size of a message's fields. The sizes of nested messages and
 * packed lists, and the UTF-8 lengths of strings, are pushed to `sizes` in the
 * order the write pass meets them.
 */
function sizeFields(plan: Plan, message: object, sizes: number[]): number {
  const values = message as Record<string, unknown>;
  let size = 0;
  for (const field of plan.fields) {
    const value = values[field.name];
    if (!isWritten(field, values, value)) continue;
    switch (field.kind) {
      case Kind.Message:
        size += field.tag.length + sizeNested(field.message!, value, sizes);
        break;
      case Kind.MessageList:
        for (const item of value as unknown[]) {
          size += field.tag.length + sizeNested(field.message!, item, sizes);
        }
        break;
      case Kind.ScalarList:
        if (field.packedTag !== undefined) {
          let inner = 0;
          for (const item of value as unknown[]) inner += scalarSize(field.scalar, item, sizes);
          sizes.push(inner);
          size += field.packedTag.length + varint32Size(inner) + inner;
        } else {
          for (const item of value as unknown[]) {
            size += field.tag.length + scalarSize(field.scalar, item, sizes);
          }
        }
        break;
      default:
        size += field.tag.length + scalarSize(field.scalar, value, sizes);
    }
  }
  const unknown = (message as { $unknown?: Unknown[] }).$unknown;
  if (unknown !== undefined) {
    for (const { no, wireType, data } of unknown) {
      size += varint32Size(((no << 3) | wireType) >>> 0) + data.byteLength;
    }
  }
  return size;
}

/** A nested message's length prefix and fields; its size goes to `sizes` for the write pass. */
function sizeNested(plan: Plan, value: unknown, sizes: number[]): number {
  if (typeof value !== "object" || value === null) throw new TypeError("not a message");
  const slot = sizes.length;
  sizes.push(0);
  const inner = sizeFields(plan, value, sizes);
  sizes[slot] = inner;
  return varint32Size(inner) + inner;
}

/** A scalar's encoded size; a string's UTF-8 length also goes to `sizes`, for the write pass. */
function scalarSize(scalar: ScalarType, value: unknown, sizes: number[]): number {
  switch (scalar) {
    case ScalarType.STRING: {
      if (typeof value !== "string") throw new TypeError("not a string");
      const length = utf8Length(value);
      sizes.push(length);
      return varint32Size(length) + length;
    }
    case ScalarType.BYTES: {
      if (!(value instanceof Uint8Array)) throw new TypeError("not bytes");
      return varint32Size(value.byteLength) + value.byteLength;
    }
    case ScalarType.BOOL:
      return 1;
    case ScalarType.DOUBLE:
      if (typeof value !== "number") throw new TypeError("not a number");
      return 8;
    case ScalarType.FLOAT:
      checkFloat32(value);
      return 4;
    case ScalarType.INT32:
      checkInt32(value);
      return value < 0 ? 10 : varint32Size(value);
    case ScalarType.SINT32:
      checkInt32(value);
      return varint32Size(zigzag32(value));
    case ScalarType.UINT32:
      checkUint32(value);
      return varint32Size(value);
    case ScalarType.FIXED32:
      checkUint32(value);
      return 4;
    case ScalarType.SFIXED32:
      checkInt32(value);
      return 4;
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      // Checked by protoInt64 in the write pass, before anything is returned.
      return 8;
    case ScalarType.INT64: {
      const { lo, hi } = protoInt64.enc(value as bigint);
      return varint64Size(lo, hi);
    }
    case ScalarType.UINT64: {
      const { lo, hi } = protoInt64.uEnc(value as bigint);
      return varint64Size(lo, hi);
    }
    case ScalarType.SINT64: {
      const { lo, hi } = protoInt64.enc(value as bigint);
      return varint64Size(...zigzag64(lo, hi));
    }
  }
}

const INT32_MAX = 0x7fffffff;
const INT32_MIN = -0x80000000;
const UINT32_MAX = 0xffffffff;
const FLOAT32_MAX = 3.4028234663852886e38;

function checkInt32(value: unknown): asserts value is number {
  if (typeof value !== "number" || !Number.isInteger(value)) throw new TypeError("not an int32");
  if (value > INT32_MAX || value < INT32_MIN) throw new RangeError("int32 out of range");
}

function checkUint32(value: unknown): asserts value is number {
  if (typeof value !== "number" || !Number.isInteger(value)) throw new TypeError("not a uint32");
  if (value > UINT32_MAX || value < 0) throw new RangeError("uint32 out of range");
}

function checkFloat32(value: unknown): asserts value is number {
  if (typeof value !== "number") throw new TypeError("not a float");
  if (Number.isFinite(value) && (value > FLOAT32_MAX || value < -FLOAT32_MAX)) {
    throw new RangeError("float32 out of range");
  }
}

function zigzag32(value: number): number {
  return ((value << 1) ^ (value >> 31)) >>> 0;
}

function zigzag64(lo: number, hi: number): [number, number] {
  const sign = hi >> 31;
  return [(lo << 1) ^ sign, ((hi << 1) | (lo >>> 31)) ^ sign];
}

/** Bytes of an unsigned 32-bit varint. */
export function varint32Size(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

function varint64Size(lo: number, hi: number): number {
  if (hi === 0) return varint32Size(lo >>> 0);
  // Seven bits a byte; a negative value uses all 64 (ten bytes).
  const bits = 64 - Math.clz32(hi);
  return Math.ceil(bits / 7);
}

/** The length of a string in UTF-8, as TextEncoder encodes it (lone surrogates as U+FFFD). */
export function utf8Length(text: string): number {
  let length = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      length += 1;
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        // A pair: two code units, four bytes.
        length += 2;
        i++;
      } else {
        length += 2;
      }
    } else {
      length += 2;
    }
  }
  return length;
}

const utf8 = new TextEncoder();

/** The output buffer, the write position, and the sizes the first pass found. */
class Output {
  pos = 0;
  next = 0;
  #view: DataView | undefined;

  constructor(
    readonly buf: Uint8Array,
    readonly sizes: readonly number[],
  ) {}

  get view(): DataView {
    this.#view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    return this.#view;
  }

  varint32(value: number): void {
    const buf = this.buf;
    while (value > 0x7f) {
      buf[this.pos++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    buf[this.pos++] = value;
  }

  varint64(lo: number, hi: number): void {
    const buf = this.buf;
    while (hi !== 0 || lo >>> 0 > 0x7f) {
      buf[this.pos++] = (lo & 0x7f) | 0x80;
      lo = (lo >>> 7) | (hi << 25);
      hi >>>= 7;
    }
    buf[this.pos++] = lo & 0x7f;
  }

  bytes(value: Uint8Array): void {
    this.buf.set(value, this.pos);
    this.pos += value.byteLength;
  }

  /** Eight little-endian bytes: the low then the high 32 bits. */
  fixed64(lo: number, hi: number): void {
    this.view.setInt32(this.pos, lo, true);
    this.view.setInt32(this.pos + 4, hi, true);
    this.pos += 8;
  }
}

function writeFields(plan: Plan, message: object, out: Output): void {
  const values = message as Record<string, unknown>;
  for (const field of plan.fields) {
    const value = values[field.name];
    if (!isWritten(field, values, value)) continue;
    switch (field.kind) {
      case Kind.Message:
        writeNested(out, field, value as object);
        break;
      case Kind.MessageList:
        for (const item of value as object[]) writeNested(out, field, item);
        break;
      case Kind.ScalarList:
        if (field.packedTag !== undefined) {
          out.bytes(field.packedTag);
          out.varint32(out.sizes[out.next++]!);
          for (const item of value as unknown[]) writeScalar(out, field.scalar, item);
        } else {
          for (const item of value as unknown[]) {
            out.bytes(field.tag);
            writeScalar(out, field.scalar, item);
          }
        }
        break;
      default:
        out.bytes(field.tag);
        writeScalar(out, field.scalar, value);
    }
  }
  const unknown = (message as { $unknown?: Unknown[] }).$unknown;
  if (unknown !== undefined) {
    for (const { no, wireType, data } of unknown) {
      out.varint32(((no << 3) | wireType) >>> 0);
      out.bytes(data);
    }
  }
}

function writeNested(out: Output, field: FieldPlan, message: object): void {
  out.bytes(field.tag);
  out.varint32(out.sizes[out.next++]!);
  writeFields(field.message!, message, out);
}

function writeScalar(out: Output, scalar: ScalarType, value: unknown): void {
  switch (scalar) {
    case ScalarType.STRING: {
      const text = value as string;
      const length = out.sizes[out.next++]!;
      out.varint32(length);
      if (length === text.length && length < 64) {
        // Short ASCII: cheaper by hand than through encodeInto's view.
        for (let i = 0; i < length; i++) out.buf[out.pos + i] = text.charCodeAt(i);
      } else {
        utf8.encodeInto(text, out.buf.subarray(out.pos, out.pos + length));
      }
      out.pos += length;
      return;
    }
    case ScalarType.BYTES: {
      const bytes = value as Uint8Array;
      out.varint32(bytes.byteLength);
      out.bytes(bytes);
      return;
    }
    case ScalarType.BOOL:
      out.buf[out.pos++] = value ? 1 : 0;
      return;
    case ScalarType.DOUBLE:
      out.view.setFloat64(out.pos, value as number, true);
      out.pos += 8;
      return;
    case ScalarType.FLOAT:
      out.view.setFloat32(out.pos, value as number, true);
      out.pos += 4;
      return;
    case ScalarType.INT32: {
      const n = value as number;
      if (n >= 0) out.varint32(n);
      else out.varint64(n, -1);
      return;
    }
    case ScalarType.SINT32:
      out.varint32(zigzag32(value as number));
      return;
    case ScalarType.UINT32:
      out.varint32(value as number);
      return;
    case ScalarType.FIXED32:
      out.view.setUint32(out.pos, value as number, true);
      out.pos += 4;
      return;
    case ScalarType.SFIXED32:
      out.view.setInt32(out.pos, value as number, true);
      out.pos += 4;
      return;
    case ScalarType.INT64: {
      const { lo, hi } = protoInt64.enc(value as bigint);
      out.varint64(lo, hi);
      return;
    }
    case ScalarType.UINT64: {
      const { lo, hi } = protoInt64.uEnc(value as bigint);
      out.varint64(lo, hi);
      return;
    }
    case ScalarType.SINT64: {
      const { lo, hi } = protoInt64.enc(value as bigint);
      out.varint64(...zigzag64(lo, hi));
      return;
    }
    case ScalarType.FIXED64: {
      const { lo, hi } = protoInt64.uEnc(value as bigint);
      out.fixed64(lo, hi);
      return;
    }
    case ScalarType.SFIXED64: {
      const { lo, hi } = protoInt64.enc(value as bigint);
      out.fixed64(lo, hi);
      return;
    }
  }
}
