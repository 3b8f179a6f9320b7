import { Code } from "./code.js";
import { ConnectError } from "./connect-error.js";
import type { HttpBody } from "./http.js";
import { doneResult } from "./iteration.js";

/** What a {@link PushBody} asks of the stream that feeds it. */
export interface BodySource {
  /** Stop delivering chunks for now: the reader is behind. */
  pause(): void;
  /** Deliver chunks again. */
  resume(): void;
  /** Stop the stream for good (reset it), because the reader gave up on it. */
  cancel(reason: ConnectError): void;
}

/**
 * Bytes buffered for a slow iterator before the source is paused. Past this,
 * the transport stops reading, so flow control (HTTP/2 windows, TCP) slows the peer.
 */
const highWaterMark = 64 * 1024;

enum Mode {
  Unread = 0,
  Iterating = 1,
  ReadingAll = 2,
}

type Waiter = {
  resolve(value: IteratorResult<Uint8Array>): void;
  reject(reason: ConnectError): void;
};

/**
 * A body that its source pushes chunks into and the reader pulls from,
 * either chunk by chunk (async iteration) or whole (`readAll`): a response
 * body on the client (the transport pushes), a request body on the server
 * (the server adapter pushes).
 *
 * `readAll` is the unary fast path: it allocates no iterator and no promise
 * per chunk, and gives up (cancelling the stream) as soon as the limit is
 * passed. Iteration buffers at most about {@link highWaterMark} bytes before it
 * pauses the source, so a slow reader slows the peer instead of filling memory.
 */
export class PushBody implements HttpBody, AsyncIterator<Uint8Array> {
  #source: BodySource;
  #mode = Mode.Unread;
  #chunks: Uint8Array[] = [];
  #head = 0;
  #buffered = 0;
  #paused = false;
  #ended = false;
  #error: ConnectError | undefined;
  #waiter: Waiter | undefined;
  #limit = 0;
  #readAll: { resolve(value: Uint8Array): void; reject(reason: ConnectError): void } | undefined;

  /** The length the response declared (content-length), or -1. */
  readonly #declared: number;

  /**
   * @param declaredLength the body length the response declared
   *   (`content-length`), if any: `readAll` refuses a body declared too large
   *   without waiting for its bytes.
   */
  constructor(source: BodySource, declaredLength = -1) {
    this.#source = source;
    this.#declared = declaredLength;
  }

  /** True once the body ended, failed or was cancelled: the source may be released. */
  get finished(): boolean {
    return this.#ended || this.#error !== undefined;
  }

  /** Called by the transport for each chunk received. */
  push(chunk: Uint8Array): void {
    if (this.finished) return;
    if (this.#waiter !== undefined) {
      const waiter = this.#waiter;
      this.#waiter = undefined;
      waiter.resolve({ done: false, value: chunk });
      return;
    }
    this.#chunks.push(chunk);
    this.#buffered += chunk.byteLength;
    if (this.#mode === Mode.ReadingAll) {
      if (this.#buffered > this.#limit) this.#overLimit();
    } else if (this.#buffered >= highWaterMark && !this.#paused) {
      this.#paused = true;
      this.#source.pause();
    }
  }

  /** Called by the transport when the body has ended normally. */
  end(): void {
    if (this.finished) return;
    this.#ended = true;
    if (this.#waiter !== undefined) {
      const waiter = this.#waiter;
      this.#waiter = undefined;
      waiter.resolve(doneResult);
    } else if (this.#readAll !== undefined) {
      const readAll = this.#readAll;
      this.#readAll = undefined;
      readAll.resolve(this.#takeAll());
    }
  }

  /**
   * Called by the transport when the body failed. By default, chunks already
   * buffered are still delivered to an iterating reader before the error (the
   * peer did send them); with `discard`, as for a cancelled call, the reader
   * gets the error at once.
   */
  fail(error: ConnectError, discard = false): void {
    if (this.finished) return;
    this.#error = error;
    if (discard) {
      this.#chunks = [];
      this.#head = 0;
      this.#buffered = 0;
    }
    if (this.#waiter !== undefined) {
      const waiter = this.#waiter;
      this.#waiter = undefined;
      waiter.reject(error);
    } else if (this.#readAll !== undefined) {
      const readAll = this.#readAll;
      this.#readAll = undefined;
      this.#chunks = [];
      readAll.reject(error);
    }
  }

  readAll(maxBytes: number): Promise<Uint8Array> {
    if (this.#mode !== Mode.Unread) return Promise.reject(alreadyRead());
    this.#mode = Mode.ReadingAll;
    this.#limit = maxBytes;
    if (this.#buffered > maxBytes || (this.#declared > maxBytes && !this.finished)) {
      this.#overLimit();
    }
    if (this.#error !== undefined) {
      this.#chunks = [];
      return Promise.reject(this.#error);
    }
    if (this.#ended) return Promise.resolve(this.#takeAll());
    if (this.#paused) {
      this.#paused = false;
      this.#source.resume();
    }
    return new Promise((resolve, reject) => {
      this.#readAll = { resolve, reject };
    });
  }

  cancel(): void {
    // Readers cancel every body they are done with, most of them already
    // ended and drained: nothing to drop then.
    if (this.#chunks.length > 0) {
      this.#chunks = [];
      this.#head = 0;
    }
    this.#buffered = 0;
    if (this.finished) return;
    const error = new ConnectError("body canceled", Code.Canceled);
    this.fail(error, true);
    this.#source.cancel(error);
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.#mode !== Mode.Unread) {
      return { next: () => Promise.reject(alreadyRead()) };
    }
    this.#mode = Mode.Iterating;
    return this;
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    if (this.#head < this.#chunks.length) {
      const chunk = this.#chunks[this.#head]!;
      this.#chunks[this.#head++] = EMPTY;
      if (this.#head === this.#chunks.length) {
        this.#chunks.length = 0;
        this.#head = 0;
      }
      this.#buffered -= chunk.byteLength;
      if (this.#paused && this.#buffered < highWaterMark / 2) {
        this.#paused = false;
        this.#source.resume();
      }
      return Promise.resolve({ done: false, value: chunk });
    }
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve(doneResult);
    if (this.#waiter !== undefined) {
      return Promise.reject(new ConnectError("concurrent read of a body", Code.Internal));
    }
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  /** A reader that stops early (`break` in `for await`) releases the stream. */
  return(): Promise<IteratorResult<Uint8Array>> {
    this.cancel();
    return Promise.resolve(doneResult);
  }

  #overLimit(): void {
    const error = new ConnectError(
      `body larger than the limit of ${this.#limit} bytes`,
      Code.ResourceExhausted,
    );
    this.fail(error, true);
    this.#source.cancel(error);
  }

  #takeAll(): Uint8Array {
    const chunks = this.#chunks;
    this.#chunks = [];
    const total = this.#buffered;
    this.#buffered = 0;
    if (chunks.length === 1) return chunks[0]!;
    const out = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      out.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return out;
  }
}

const EMPTY = new Uint8Array(0);

function alreadyRead(): ConnectError {
  return new ConnectError("body already read", Code.Internal);
}
