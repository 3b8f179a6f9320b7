import { Code, type Compression, ConnectError } from "../../src/index.js";

async function pipe(
  data: Uint8Array,
  transform: ReadableWritablePair<Uint8Array, BufferSource>,
  maxBytes: number,
): Promise<Uint8Array> {
  const reader = new Blob([new Uint8Array(data)]).stream().pipeThrough(transform).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel();
      throw new ConnectError(`decompressed size exceeds ${maxBytes}`, Code.ResourceExhausted);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** A gzip `Compression` built on the web streams API, for tests of negotiation only. */
export const testGzip: Compression = {
  name: "gzip",
  compress: (data) => pipe(data, new CompressionStream("gzip"), Number.POSITIVE_INFINITY),
  async decompress(data, maxBytes) {
    try {
      return await pipe(data, new DecompressionStream("gzip"), maxBytes);
    } catch (e) {
      if (e instanceof ConnectError) throw e;
      throw new ConnectError("invalid gzip data", Code.InvalidArgument, { cause: e });
    }
  },
};

/** A second, trivial algorithm: bytes XOR 0x5a. Counts its uses so tests can see it ran. */
export function createXorCompression(
  name = "xor",
): Compression & { uses: { compress: number; decompress: number } } {
  const uses = { compress: 0, decompress: 0 };
  const flip = (data: Uint8Array) => data.map((b) => b ^ 0x5a);
  return {
    name,
    uses,
    async compress(data) {
      uses.compress++;
      return flip(data);
    },
    async decompress(data, maxBytes) {
      uses.decompress++;
      if (data.length > maxBytes) throw new ConnectError("too large", Code.ResourceExhausted);
      return flip(data);
    },
  };
}
