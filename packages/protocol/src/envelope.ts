import { allocateBytes } from "./byte-slab.js";
import { Code } from "./code.js";
import { ConnectError } from "./connect-error.js";

/** Envelope flag: the payload is compressed with the negotiated encoding. */
export const FLAG_COMPRESSED = 0b0000_0001;
/** Envelope flag (Connect): the frame is the end-stream message. */
export const FLAG_END_STREAM = 0b0000_0010;
/** Envelope flag (gRPC-Web): the frame carries trailers. */
export const FLAG_TRAILERS = 0b1000_0000;

/** One frame of the 5-byte envelope format shared by Connect streaming, gRPC and gRPC-Web. */
export interface Envelope {
  readonly flags: number;
  readonly data: Uint8Array;
}

/**
 * Encodes one frame: a flags byte, a big-endian uint32 length, then the payload.
 * A small frame is a view of a buffer shared with other frames (see
 * `byte-slab.ts`): read it through the view, and do not transfer or reuse its
 * `buffer` as if it were the frame's alone.
 */
export function encodeEnvelope(flags: number, data: Uint8Array): Uint8Array {
  const out = allocateBytes(5 + data.length);
  out[0] = flags;
  const len = data.length;
  out[1] = len >>> 24;
  out[2] = (len >>> 16) & 0xff;
  out[3] = (len >>> 8) & 0xff;
  out[4] = len & 0xff;
  out.set(data, 5);
  return out;
}

/**
 * The one frame that `bytes` hold, when they hold exactly one whole frame
 * whose payload is within `maxBytes`; otherwise undefined, and the caller
 * learns what is wrong from an {@link EnvelopeDecoder}. A unary request is
 * nearly always one such frame, and this spares it the decoder.
 */
export function singleEnvelope(bytes: Uint8Array, maxBytes: number): Envelope | undefined {
  if (bytes.length < 5) return undefined;
  const len = readLength(bytes, 0);
  if (len > maxBytes || bytes.length - 5 !== len) return undefined;
  return { flags: bytes[0]!, data: bytes.subarray(5) };
}

/**
 * An incremental envelope parser. Feed it chunks cut anywhere with
 * {@link EnvelopeDecoder.push}; it returns the frames they complete. A frame
 * whose declared length exceeds the limit is rejected from its header alone,
 * before any of its payload is buffered. Call {@link EnvelopeDecoder.end} when
 * the input ends: a partial frame left over is an error.
 */
export class EnvelopeDecoder {
  readonly #maxBytes: number;
  readonly #truncatedCode: Code;
  readonly #header = new Uint8Array(5);
  #headerFill = 0;
  #flags = 0;
  #payload: Uint8Array | undefined;
  #payloadFill = 0;
  #failed = false;

  /**
   * @param maxBytes largest payload accepted; bigger frames fail with `resource_exhausted`.
   * @param truncatedCode the code of the error that {@link end} raises for a truncated stream.
   */
  constructor(maxBytes: number, truncatedCode: Code = Code.InvalidArgument) {
    this.#maxBytes = maxBytes;
    this.#truncatedCode = truncatedCode;
  }

  /** Tells whether a frame has been started but not completed. */
  get partial(): boolean {
    return this.#headerFill > 0;
  }

  /**
   * Consumes a chunk and returns the frames it completes, in order. Throws a
   * `ConnectError` (`resource_exhausted`) for an oversized frame; after that
   * the decoder stays failed.
   */
  push(chunk: Uint8Array): Envelope[] {
    if (this.#failed) {
      throw new ConnectError("envelope decoder used after a failure", Code.Internal);
    }
    const frames: Envelope[] = [];
    let offset = 0;
    const end = chunk.length;
    while (offset < end) {
      if (this.#headerFill < 5) {
        // Fast path: a whole frame inside this chunk is returned as a view, without copying.
        if (this.#headerFill === 0 && end - offset >= 5) {
          const len = readLength(chunk, offset);
          this.#checkLength(len);
          if (end - offset - 5 >= len) {
            frames.push({
              flags: chunk[offset]!,
              data: chunk.subarray(offset + 5, offset + 5 + len),
            });
            offset += 5 + len;
            continue;
          }
        }
        const take = Math.min(5 - this.#headerFill, end - offset);
        this.#header.set(chunk.subarray(offset, offset + take), this.#headerFill);
        this.#headerFill += take;
        offset += take;
        if (this.#headerFill < 5) break;
        const len = readLength(this.#header, 0);
        this.#checkLength(len);
        this.#flags = this.#header[0]!;
        if (len === 0) {
          frames.push({ flags: this.#flags, data: new Uint8Array(0) });
          this.#headerFill = 0;
          continue;
        }
        this.#payload = new Uint8Array(len);
        this.#payloadFill = 0;
        continue;
      }
      const payload = this.#payload!;
      const take = Math.min(payload.length - this.#payloadFill, end - offset);
      payload.set(chunk.subarray(offset, offset + take), this.#payloadFill);
      this.#payloadFill += take;
      offset += take;
      if (this.#payloadFill === payload.length) {
        frames.push({ flags: this.#flags, data: payload });
        this.#payload = undefined;
        this.#headerFill = 0;
      }
    }
    return frames;
  }

  /** Declares the input complete; throws a `ConnectError` if a frame was cut short. */
  end(): void {
    if (this.#headerFill > 0) {
      const got = this.#headerFill < 5 ? this.#headerFill : 5 + this.#payloadFill;
      const want = this.#headerFill < 5 ? 5 : 5 + (this.#payload?.length ?? 0);
      this.#failed = true;
      throw new ConnectError(
        `protocol error: stream ended inside an envelope (${got} of ${want} bytes)`,
        this.#truncatedCode,
      );
    }
  }

  #checkLength(len: number): void {
    if (len > this.#maxBytes) {
      this.#failed = true;
      throw new ConnectError(
        `message size ${len} is larger than configured max ${this.#maxBytes}`,
        Code.ResourceExhausted,
      );
    }
  }
}

function readLength(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset + 1]! << 24) >>> 0) +
    (bytes[offset + 2]! << 16) +
    (bytes[offset + 3]! << 8) +
    bytes[offset + 4]!
  );
}

/**
 * Reads the frames of a body as they complete. Ends when the body ends; a
 * truncated last frame or an oversized one is thrown as a `ConnectError`.
 */
export async function* readEnvelopes(
  body: AsyncIterable<Uint8Array>,
  maxBytes: number,
  truncatedCode: Code = Code.InvalidArgument,
): AsyncGenerator<Envelope, void, undefined> {
  const decoder = new EnvelopeDecoder(maxBytes, truncatedCode);
  for await (const chunk of body) {
    const frames = decoder.push(chunk);
    for (let i = 0; i < frames.length; i++) yield frames[i]!;
  }
  decoder.end();
}
