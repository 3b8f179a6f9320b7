import {
  create,
  type DescMessage,
  fromBinary,
  type MessageShape,
  protoInt64,
  toBinary,
} from "@bufbuild/protobuf";
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { binaryCodec } from "../src/binary-codec.js";
import { readFields } from "../src/binary-decode.js";
import { encodeMessage } from "../src/binary-encode.js";
import { planOf } from "../src/binary-plan.js";
import { allocateBytes } from "../src/byte-slab.js";
import {
  Color,
  CycleASchema,
  CycleBSchema,
  type Scalars,
  ScalarsSchema,
  type Lists,
  ListsSchema,
  WithMapChildSchema,
  WithLongStringSchema,
  WithMapSchema,
  WithOneofSchema,
  WithStructListSchema,
  WithStructSchema,
  WithWrapperSchema,
} from "./gen/testpb/v1/codec_pb.js";
import { EchoRequestSchema } from "./gen/testpb/v1/test_pb.js";

// The binary codec must be indistinguishable from protobuf-es: the same
// bytes for every message, the same message (fields, their order, and
// unknown fields) for every input, the same error for bad input. Random
// messages are compared with it, then the inputs the codec leaves to it.

/** A small deterministic generator (mulberry32), so that a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(next: () => number, choices: readonly T[]): T {
  return choices[Math.floor(next() * choices.length)]!;
}

const texts = [
  "",
  "a",
  "hello, world",
  "é",
  "日本語のテキスト",
  "emoji 🎉 and more 🚀",
  "lone \ud800 high",
  "lone \udc00 low",
  "ends high \ud83d",
  "x".repeat(200),
  "ü".repeat(100),
];
const int32s = [0, 1, -1, 127, 128, 300, 16383, 16384, 2 ** 31 - 1, -(2 ** 31), -300];
const uint32s = [0, 1, 127, 128, 16384, 2 ** 28, 2 ** 32 - 1];
const int64s = [0n, 1n, -1n, 127n, 128n, 2n ** 35n, -(2n ** 40n), 2n ** 63n - 1n, -(2n ** 63n)];
const uint64s = [0n, 1n, 128n, 2n ** 32n, 2n ** 35n + 7n, 2n ** 64n - 1n];
const doubles = [0, -0, 1.5, -2.25, 1e300, Number.NaN, Number.POSITIVE_INFINITY, 5e-324];
const floats = [0, -0, 1.5, -3.25, 3.4e38, Number.NaN, Number.NEGATIVE_INFINITY];

function randomBytes(next: () => number): Uint8Array {
  const length = pick(next, [0, 1, 5, 63, 64, 65, 200, 1024, 3000]);
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(next() * 256);
  return bytes;
}

function randomScalars(next: () => number, depth: number): Scalars {
  const maybe = <T>(value: () => T, zero: T): T => (next() < 0.7 ? value() : zero);
  const message = create(ScalarsSchema, {
    fDouble: maybe(() => pick(next, doubles), 0),
    fFloat: maybe(() => Math.fround(pick(next, floats)), 0),
    fInt64: maybe(() => pick(next, int64s), 0n),
    fUint64: maybe(() => pick(next, uint64s), 0n),
    fInt32: maybe(() => pick(next, int32s), 0),
    fFixed64: maybe(() => pick(next, uint64s), 0n),
    fFixed32: maybe(() => pick(next, uint32s), 0),
    fBool: maybe(() => next() < 0.5, false),
    fString: maybe(() => pick(next, texts), ""),
    fBytes: maybe(() => randomBytes(next), new Uint8Array(0)),
    fUint32: maybe(() => pick(next, uint32s), 0),
    fEnum: maybe(() => pick(next, [Color.RED, Color.BLUE, 7, 0]), Color.UNSPECIFIED),
    fSfixed32: maybe(() => pick(next, int32s), 0),
    fSfixed64: maybe(() => pick(next, int64s), 0n),
    fSint32: maybe(() => pick(next, int32s), 0),
    fSint64: maybe(() => pick(next, int64s), 0n),
    far: maybe(() => pick(next, int32s), 0),
  });
  if (depth < 3 && next() < 0.4) message.child = randomScalars(next, depth + 1);
  if (next() < 0.3) {
    message.when = { $typeName: "google.protobuf.Timestamp", seconds: 1700000000n, nanos: 5 };
  }
  // Explicit presence: set, including to zero, or left out.
  if (next() < 0.5) message.oInt32 = pick(next, int32s);
  if (next() < 0.5) message.oString = pick(next, texts);
  if (next() < 0.5) message.oEnum = pick(next, [Color.UNSPECIFIED, Color.BLUE]);
  if (next() < 0.5) message.oBool = next() < 0.5;
  return message;
}

function randomLists(next: () => number, depth: number): Lists {
  const some = <T>(value: () => T, lengths = [0, 0, 1, 2, 5, 40]): T[] =>
    Array.from({ length: pick(next, lengths) }, value);
  const message = create(ListsSchema, {
    rDouble: some(() => pick(next, doubles)),
    rFloat: some(() => Math.fround(pick(next, floats))),
    rInt64: some(() => pick(next, int64s)),
    rUint64: some(() => pick(next, uint64s)),
    rInt32: some(() => pick(next, int32s)),
    rFixed64: some(() => pick(next, uint64s)),
    rFixed32: some(() => pick(next, uint32s)),
    rBool: some(() => next() < 0.5),
    rString: some(() => pick(next, texts)),
    rBytes: some(() => randomBytes(next)),
    rUint32: some(() => pick(next, uint32s)),
    rEnum: some(() => pick(next, [Color.RED, Color.BLUE, 7, 0])),
    rSfixed32: some(() => pick(next, int32s)),
    rSfixed64: some(() => pick(next, int64s)),
    rSint32: some(() => pick(next, int32s)),
    rSint64: some(() => pick(next, int64s)),
    unpacked: some(() => pick(next, int32s)),
    names: some(() => ({ value: pick(next, texts) })),
    label: next() < 0.5 ? pick(next, texts) : "",
  });
  if (next() < 0.5) message.items = some(() => randomScalars(next, 2), [1, 2, 3]);
  if (depth < 2 && next() < 0.4) {
    message.children = some(() => randomLists(next, depth + 1), [1, 2]);
  }
  return message;
}

/** Equal as protobuf-es would produce it: same own keys in the same order, same values. */
function assertSameMessage(actual: unknown, expected: unknown, what: string): void {
  assert.equal(actual, expected, what);
  const keys = (value: unknown): unknown =>
    value !== null && typeof value === "object" && !(value instanceof Uint8Array)
      ? Object.entries(value).map(([k, v]) => [k, keys(v)])
      : typeof value;
  assert.equal(keys(actual), keys(expected), `${what}: key order`);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

test("the common shape is planned; maps, oneofs, wrappers, Struct and string longs are not", () => {
  assert.ok(planOf(ScalarsSchema) !== undefined);
  assert.ok(planOf(ListsSchema) !== undefined);
  assert.ok(planOf(EchoRequestSchema) !== undefined);
  for (const desc of [
    WithStructListSchema,
    WithMapSchema,
    WithOneofSchema,
    WithWrapperSchema,
    WithStructSchema,
    WithLongStringSchema,
    WithMapChildSchema,
  ]) {
    assert.is(planOf(desc), undefined, desc.typeName);
  }
});

test("a cycle through a type that is not planned leaves every type on it unplanned", () => {
  // Asked first for the end that holds the unplanned type: the other end,
  // met on the way there, must not be taken for planned.
  assert.is(planOf(CycleASchema), undefined);
  assert.is(planOf(CycleBSchema), undefined);
  const message = create(CycleBSchema, {
    name: "b",
    a: { b: { name: "inner" }, map: { counts: { x: 1 } } },
  });
  const codec = binaryCodec(CycleBSchema);
  const bytes = toBinary(CycleBSchema, message);
  assert.equal([...codec.encode(message)], [...bytes]);
  assert.equal(codec.decode(bytes), fromBinary(CycleBSchema, bytes));
});

test("random messages: the same bytes as toBinary, and back to the same message as fromBinary", () => {
  const codec = binaryCodec(ScalarsSchema);
  const next = random(20261126);
  for (let i = 0; i < 3000; i++) {
    const message = randomScalars(next, 0);
    const expected = toBinary(ScalarsSchema, message);
    const actual = codec.encode(message);
    if (!sameBytes(actual, expected)) {
      assert.equal([...actual], [...expected], `message ${i}: ${JSON.stringify(message, big)}`);
    }
    assertSameMessage(codec.decode(expected), fromBinary(ScalarsSchema, expected), `message ${i}`);
  }
});

test("random messages take the codec's own path both ways, with nothing left to protobuf-es", () => {
  // The codec falls back on anything unexpected, which would hide a wrong
  // encoding from the test above; here its two halves run bare.
  const plan = planOf(ScalarsSchema)!;
  const next = random(7);
  for (let i = 0; i < 3000; i++) {
    const message = randomScalars(next, 0);
    const expected = toBinary(ScalarsSchema, message);
    const actual = encodeMessage(plan, message);
    if (!sameBytes(actual, expected)) {
      assert.equal([...actual], [...expected], `message ${i}: ${JSON.stringify(message, big)}`);
    }
    const decoded = readFields(plan, new BinaryReader(expected), expected.length, 0);
    assert.ok(decoded !== undefined, `message ${i} decoded by the codec itself`);
    assertSameMessage(decoded, fromBinary(ScalarsSchema, expected), `message ${i}`);
  }
});

test("random messages with lists: the same bytes and messages as protobuf-es, on the codec's own path", () => {
  const plan = planOf(ListsSchema)!;
  const codec = binaryCodec(ListsSchema);
  const next = random(42);
  for (let i = 0; i < 1500; i++) {
    const message = randomLists(next, 0);
    const expected = toBinary(ListsSchema, message);
    const actual = encodeMessage(plan, message);
    if (!sameBytes(actual, expected)) {
      assert.equal([...actual], [...expected], `message ${i}: ${JSON.stringify(message, big)}`);
    }
    const decoded = readFields(plan, new BinaryReader(expected), expected.length, 0);
    assert.ok(decoded !== undefined, `message ${i} decoded by the codec itself`);
    assertSameMessage(decoded, fromBinary(ListsSchema, expected), `message ${i}`);
    assertSameMessage(codec.decode(expected), decoded, `message ${i} through the codec`);
  }
});

test("scalar lists are read packed or not, whatever the field declares", () => {
  const plan = planOf(ListsSchema)!;
  const w = () => new BinaryWriter();
  const cases: [string, Uint8Array][] = [
    // r_int32 is packed by default: one element at a time must read too.
    [
      "unpacked records of a packed field",
      w().tag(5, WireType.Varint).int32(-3).tag(5, WireType.Varint).int32(9).finish(),
    ],
    // unpacked is declared [packed = false]: a packed run must read too.
    [
      "a packed run of an unpacked field",
      w().tag(17, WireType.LengthDelimited).fork().int32(1).int32(300).join().finish(),
    ],
    [
      "both, mixed",
      w()
        .tag(17, WireType.Varint)
        .int32(4)
        .tag(17, WireType.LengthDelimited)
        .fork()
        .int32(5)
        .join()
        .finish(),
    ],
    [
      "packed fixed32",
      w().tag(7, WireType.LengthDelimited).fork().fixed32(1).fixed32(2).join().finish(),
    ],
    ["an empty packed run", w().tag(5, WireType.LengthDelimited).fork().join().finish()],
  ];
  for (const [what, bytes] of cases) {
    const decoded = readFields(plan, new BinaryReader(bytes), bytes.length, 0);
    assert.ok(decoded !== undefined, what);
    assertSameMessage(decoded, fromBinary(ListsSchema, bytes), what);
  }
  // Strings and bytes are never packed: a length-delimited record is one element.
  const strings = w().tag(9, WireType.LengthDelimited).string("ab").finish();
  assertSameMessage(
    readFields(plan, new BinaryReader(strings), strings.length, 0),
    fromBinary(ListsSchema, strings),
    "a string",
  );
  // A packed run whose last element overruns it is left to protobuf-es.
  const overrun = Uint8Array.of(0x2a, 0x01, 0x80, 0x01);
  assertSameDecode(ListsSchema, overrun, "a packed run that overruns its length");
  assert.is(
    outcome(() => readFields(plan, new BinaryReader(overrun), overrun.length, 0)),
    undefined,
  );
});

test("lists that are not lists, and list items that are not messages, are handled as protobuf-es handles them", () => {
  const codec = binaryCodec(ListsSchema);
  for (const [what, fields] of [
    ["a list that is undefined", { rInt32: undefined }],
    ["a list that is a number", { rInt32: 5 }],
    ["a message list with a number in it", { items: [5] }],
    ["a message list with null in it", { items: [null] }],
  ] as const) {
    const message = { ...create(ListsSchema), ...fields } as unknown as Lists;
    assertSameOutcome(
      outcome(() => codec.encode(message)),
      outcome(() => toBinary(ListsSchema, message)),
      what,
      (actual, expected) => assert.equal([...actual], [...expected], what),
    );
  }
});

function big(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? `${value}n` : value;
}

test("the fields of a decoded message are its own: bytes are not shared between messages", () => {
  const codec = binaryCodec(ScalarsSchema);
  const a = codec.decode(new Uint8Array(0));
  const b = codec.decode(new Uint8Array(0));
  assert.is.not(a.fBytes, b.fBytes);
  const listed = new BinaryWriter().tag(5, WireType.Varint).int32(1).finish();
  const lists = binaryCodec(ListsSchema);
  const c = lists.decode(listed);
  const d = lists.decode(listed);
  assert.is.not(c.rInt32, d.rInt32);
  assert.equal(d.rInt32, [1]);
  assert.equal(lists.decode(new Uint8Array(0)).rInt32, []);
  assert.is(a.$typeName, "testpb.v1.Scalars");
  assert.equal(a, create(ScalarsSchema));
});

/** Both codecs on the same input: the same message, or the same error. */
function assertSameDecode<Desc extends DescMessage>(desc: Desc, bytes: Uint8Array, what: string) {
  const codec = binaryCodec(desc);
  assertSameOutcome(
    outcome(() => codec.decode(bytes)),
    outcome(() => fromBinary(desc, bytes)),
    what,
    (actual, expected) => assertSameMessage(actual, expected, what),
  );
}

/** What a call returned, or the error it threw. */
function outcome<T>(fn: () => T): T | Error {
  try {
    return fn();
  } catch (e) {
    return e as Error;
  }
}

/** The same error message, or results that `compare` finds the same. */
function assertSameOutcome<T>(
  actual: T | Error,
  expected: T | Error,
  what: string,
  compare: (actual: T, expected: T) => void,
): void {
  if (expected instanceof Error) {
    assert.instance(actual, Error, what);
    assert.is((actual as Error).message, expected.message, what);
  } else {
    assert.not.instance(actual, Error, what);
    compare(actual as T, expected);
  }
}

test("inputs left to protobuf-es decode as it decodes them, or fail as it fails", () => {
  const tag = (no: number, wireType: WireType) => new BinaryWriter().tag(no, wireType);
  const cases: [string, Uint8Array][] = [
    [
      "an unknown field",
      tag(99, WireType.Varint).int32(5).tag(5, WireType.Varint).int32(3).finish(),
    ],
    ["an unknown group", tag(98, WireType.StartGroup).tag(98, WireType.EndGroup).finish()],
    ["a wire type that does not match", tag(5, WireType.Bit64).fixed64(1n).finish()],
    [
      "a wire type that does not match, over bytes that read cleanly otherwise",
      tag(5, WireType.LengthDelimited)
        .raw(Uint8Array.of(0x01, 0x40, 0x01))
        .finish(),
    ],
    [
      "a string with bad UTF-8",
      tag(9, WireType.LengthDelimited).bytes(Uint8Array.of(0xc3)).finish(),
    ],
    ["field number zero", Uint8Array.of(0x00, 0x01)],
    ["wire type 7", Uint8Array.of(0x0f)],
    ["a truncated varint", Uint8Array.of(0x28, 0x80)],
    [
      "a length past the end",
      tag(12, WireType.LengthDelimited).uint32(10).raw(Uint8Array.of(1)).finish(),
    ],
    [
      "a nested length that overruns its message",
      tag(19, WireType.LengthDelimited).uint32(1).tag(5, WireType.Varint).int32(300).finish(),
    ],
    [
      "a message field seen twice (merged)",
      concat(
        tag(19, WireType.LengthDelimited).uint32(2).tag(5, WireType.Varint).int32(7).finish(),
        tag(19, WireType.LengthDelimited).uint32(2).tag(8, WireType.Varint).bool(true).finish(),
      ),
    ],
    ["a scalar seen twice (last wins)", Uint8Array.of(0x28, 0x01, 0x28, 0x02)],
    ["an empty input", new Uint8Array(0)],
  ];
  for (const [what, bytes] of cases) assertSameDecode(ScalarsSchema, bytes, what);
  // Those that protobuf-es reads differently from a plain field-by-field
  // pass are indeed left to it.
  const plan = planOf(ScalarsSchema)!;
  for (const [what, bytes] of cases.slice(0, 4).concat(cases.slice(9, 11))) {
    let own: unknown;
    try {
      own = readFields(plan, new BinaryReader(bytes), bytes.length, 0);
    } catch {
      own = undefined;
    }
    assert.is(own, undefined, what);
  }
});

test("unknown fields survive a round trip, written after the known ones as toBinary writes them", () => {
  const codec = binaryCodec(ScalarsSchema);
  const bytes = new BinaryWriter()
    .tag(99, WireType.LengthDelimited)
    .string("kept")
    .tag(5, WireType.Varint)
    .int32(3)
    .finish();
  const message = codec.decode(bytes);
  assert.equal(message.$unknown?.length, 1);
  const expected = toBinary(ScalarsSchema, message);
  assert.equal([...codec.encode(message)], [...expected]);
  assert.equal([...encodeMessage(planOf(ScalarsSchema)!, message)], [...expected]);
});

test("messages nested past the recursion limit fail as protobuf-es fails them", () => {
  let bytes = new Uint8Array(0);
  for (let i = 0; i < 120; i++) {
    bytes = new BinaryWriter().tag(19, WireType.LengthDelimited).bytes(bytes).finish();
  }
  assertSameDecode(ScalarsSchema, bytes, "120 levels");
  let ok = new Uint8Array(0);
  for (let i = 0; i < 50; i++) {
    ok = new BinaryWriter().tag(19, WireType.LengthDelimited).bytes(ok).finish();
  }
  assertSameDecode(ScalarsSchema, ok, "50 levels");
});

test("values protobuf-es refuses or coerces on encode are handled as it handles them", () => {
  const codec = binaryCodec(ScalarsSchema);
  const bad: [string, Partial<Record<keyof Scalars, unknown>>][] = [
    ["a fractional int32", { fInt32: 1.5 }],
    ["an int32 out of range", { fInt32: 2 ** 31 }],
    ["a negative uint32", { fUint32: -1 }],
    ["a float out of range", { fFloat: 1e39 }],
    ["an int32 as a string", { fInt32: "5" }],
    ["a uint32 as a string", { fUint32: "7" }],
    ["an int64 as a string", { fInt64: "-9" }],
    ["an int64 as a number", { fSint64: 12 }],
    ["a bad int64 string", { fInt64: "x" }],
    ["an undefined int32", { fInt32: undefined }],
    ["a string that is a number", { fString: 5 }],
  ];
  for (const [what, fields] of bad) {
    const message = { ...create(ScalarsSchema), ...fields } as Scalars;
    assertSameOutcome(
      outcome(() => codec.encode(message)),
      outcome(() => toBinary(ScalarsSchema, message)),
      what,
      (actual, expected) => assert.equal([...actual], [...expected], what),
    );
  }
});

test("types that are not planned still go through protobuf-es, both ways", () => {
  const structs = create(WithStructListSchema, { items: [{ fields: {} }] });
  const child = create(WithMapChildSchema, { name: "n", map: { counts: { a: 3 } } });
  const struct = create(WithStructSchema, { fields: { a: 1, b: [true, "x"] } });
  const wrapper = create(WithWrapperSchema, { name: "wrapped" });
  const long = create(WithLongStringSchema, { id: "-12345678901234" });
  const oneof = create(WithOneofSchema, { choice: { case: "number", value: 4 } });
  const map = create(WithMapSchema, { counts: { a: 1, b: 2 } });
  const pairs: [DescMessage, unknown][] = [
    [WithStructListSchema, structs],
    [WithMapChildSchema, child],
    [WithStructSchema, struct],
    [WithWrapperSchema, wrapper],
    [WithLongStringSchema, long],
    [WithOneofSchema, oneof],
    [WithMapSchema, map],
  ];
  for (const [desc, message] of pairs) {
    const codec = binaryCodec(desc);
    const bytes = toBinary(desc, message as MessageShape<DescMessage>);
    assert.equal([...codec.encode(message as MessageShape<DescMessage>)], [...bytes], desc.name);
    assert.equal(codec.decode(bytes), fromBinary(desc, bytes), desc.name);
  }
});

test("64-bit values at their limits", () => {
  const codec = binaryCodec(ScalarsSchema);
  for (const value of [
    protoInt64.parse("-1"),
    -(2n ** 63n),
    2n ** 63n - 1n,
    2n ** 31n,
    -(2n ** 31n),
  ]) {
    const message = create(ScalarsSchema, { fInt64: value, fSint64: value, fSfixed64: value });
    assert.equal([...codec.encode(message)], [...toBinary(ScalarsSchema, message)], String(value));
  }
});

test("allocateBytes: zeroed, separate, and large sizes on their own", () => {
  const seen: Uint8Array[] = [];
  for (let i = 0; i < 200; i++) {
    const size = (i * 37) % 2100;
    const bytes = allocateBytes(size);
    assert.is(bytes.length, size);
    assert.ok(
      bytes.every((b) => b === 0),
      "zeroed",
    );
    bytes.fill(0xff);
    seen.push(bytes);
  }
  // Each array's bytes are still its own: none overlapped another.
  for (const bytes of seen) assert.ok(bytes.every((b) => b === 0xff));
  const large = allocateBytes(4096);
  assert.is(large.byteOffset, 0);
  assert.is(large.buffer.byteLength, 4096);
});

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

test.run();
