/**
 * Small byte arrays cut from a shared slab instead of allocated one by one.
 *
 * A `Uint8Array` of more than 64 bytes gets a backing store of its own
 * outside V8's heap: a zeroed malloc, a record the garbage collector sweeps,
 * and external-memory accounting that brings collections forward. That is
 * dearer than the protobuf encoding and the framing of a small message put
 * together. The frames and messages the protocols write are short-lived
 * (written to a socket or a body, then dropped), so they are cut from a
 * slab, as Node's `Buffer.allocUnsafe` does from its pool; the slab is freed
 * once every array cut from it is. Larger arrays are allocated as usual, so
 * that a retained one never holds on to much more than itself.
 */
const slabSize = 16 * 1024;
const largestCut = 2 * 1024;

let slab = new ArrayBuffer(slabSize);
let used = 0;

/** A zero-filled byte array of `size` bytes, possibly a view of a shared slab. */
export function allocateBytes(size: number): Uint8Array {
  if (size > largestCut) return new Uint8Array(size);
  if (used + size > slabSize) {
    slab = new ArrayBuffer(slabSize);
    used = 0;
  }
  const bytes = new Uint8Array(slab, used, size);
  // Eight-byte steps keep every cut aligned for typed views over it.
  used += (size + 7) & ~7;
  return bytes;
}
