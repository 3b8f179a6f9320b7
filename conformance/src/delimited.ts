import type { Readable, Writable } from "node:stream";

/**
 * The largest message accepted on stdin. The runner's biggest requests carry
 * a few MiB of padding; this bound only guards against a corrupt prefix.
 */
const maxMessageBytes = 256 * 1024 * 1024;

/**
 * Reads size-delimited messages (a 4-byte big-endian length, then that many
 * bytes) until the stream ends. Throws if the stream ends inside a message or
 * a prefix announces more than the bound allows.
 */
export async function* readDelimited(input: Readable): AsyncGenerator<Uint8Array> {
  let buffer: Uint8Array = new Uint8Array(0);
  for await (const chunk of input as AsyncIterable<Uint8Array>) {
    buffer = buffer.length === 0 ? chunk : concat(buffer, chunk);
    for (;;) {
      if (buffer.length < 4) break;
      const size = new DataView(buffer.buffer, buffer.byteOffset, 4).getUint32(0);
      if (size > maxMessageBytes) {
        throw new Error(`size prefix of ${size} bytes exceeds the ${maxMessageBytes} byte bound`);
      }
      if (buffer.length < 4 + size) break;
      yield buffer.slice(4, 4 + size);
      buffer = buffer.subarray(4 + size);
    }
  }
  if (buffer.length > 0) {
    throw new Error(`input ended inside a message (${buffer.length} bytes left over)`);
  }
}

/** Prefixes a message with its 4-byte big-endian length. */
export function frameDelimited(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + message.length);
  new DataView(out.buffer).setUint32(0, message.length);
  out.set(message, 4);
  return out;
}

/**
 * Writes one size-delimited message. Each frame is a single `write` call, so
 * frames written by concurrent calls never interleave.
 */
export function writeDelimited(output: Writable, message: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    output.write(frameDelimited(message), (err) => (err ? reject(err) : resolve()));
  });
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
