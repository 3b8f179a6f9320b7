// The benchmark payloads: Protobuf-encoded records of the kind RPC services
// send (ids, names, emails, free text, tags, timestamps, scores), built with
// a seeded generator so that every run compresses the same bytes.
import { BinaryWriter } from "@bufbuild/protobuf/wire";

const words = (
  "account order invoice shipment customer product review payment refund status " +
  "pending active closed warehouse delivery address street city region country " +
  "priority standard express return policy discount coupon total subtotal tax " +
  "currency note message update created modified owner team project task label"
).split(" ");
const first = "ada alan grace linus barbara ken dennis margaret edsger donald".split(" ");
const last =
  "lovelace turing hopper torvalds liskov thompson ritchie hamilton dijkstra knuth".split(" ");

function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/**
 * One record, as this message would encode it:
 *   message Record { int64 id = 1; string name = 2; string email = 3;
 *     double score = 4; repeated string tags = 5; int64 created_at = 6;
 *     bool active = 7; string description = 8; repeated int32 counts = 9; }
 */
function writeRecord(w, i, random) {
  const pick = (list) => list[Math.floor(random() * list.length)];
  const name = `${pick(first)} ${pick(last)}`;
  w.uint32((1 << 3) | 0).int64(100000 + i * 7 + Math.floor(random() * 5));
  w.uint32((2 << 3) | 2).string(name);
  w.uint32((3 << 3) | 2).string(`${name.replace(" ", ".")}${i % 100}@example.com`);
  w.uint32((4 << 3) | 1).double(Math.round(random() * 100000) / 100);
  const tags = 1 + Math.floor(random() * 4);
  for (let t = 0; t < tags; t++) w.uint32((5 << 3) | 2).string(pick(words));
  w.uint32((6 << 3) | 0).int64(1700000000000 + i * 60000 + Math.floor(random() * 1000));
  w.uint32((7 << 3) | 0).bool(random() < 0.8);
  const length = 8 + Math.floor(random() * 20);
  const text = Array.from({ length }, () => pick(words)).join(" ");
  w.uint32((8 << 3) | 2).string(text);
  w.uint32((9 << 3) | 2).fork();
  for (let c = 0; c < 6; c++) w.int32(Math.floor(random() * 500));
  w.join();
}

/** A `ListRecordsResponse { repeated Record records = 1; }` of about `targetBytes`. */
export function recordsPayload(targetBytes, seed = 42) {
  const random = rng(seed);
  const outer = new BinaryWriter();
  let size = 0;
  // Bounded: no record is under 40 bytes, so this many always reach the target.
  for (let i = 0; i < targetBytes / 40 + 1 && size < targetBytes; i++) {
    const w = new BinaryWriter();
    writeRecord(w, i, random);
    const record = w.finish();
    outer.uint32((1 << 3) | 2).bytes(record);
    size += record.length + 3;
  }
  return outer.finish();
}
