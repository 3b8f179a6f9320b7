import { Code } from "./code.js";
import { type Envelope, EnvelopeDecoder } from "./envelope.js";
import { closeQuietly, doneResult as done } from "./iteration.js";

/** What a {@link MessageReader} does with the frames of one kind of body. */
export interface FrameSteps<T> {
  /**
   * Turns a frame into a message, or `undefined` for a frame that carries
   * none (an end-stream or trailer frame). May throw; returns a promise only
   * when it has to wait (decompression).
   */
  frame(env: Envelope): T | undefined | Promise<T | undefined>;
  /** The body ended after its last whole frame: throws if it ended wrongly. */
  end?(): void;
  /** Turns whatever reading threw into the error the reader sees. */
  fail?(error: unknown): unknown;
  /** Called once reading stops, however it stops. */
  release?(): void;
}

/** A result now, a promise of one, or undefined when more of the body is needed. */
type Step<T> = IteratorResult<T> | Promise<IteratorResult<T>> | undefined;

/**
 * The messages of an enveloped body (Connect streams, gRPC, gRPC-Web), read
 * one `next()` at a time. It does what a pair of async generators over the
 * body (frames, then messages) did, at a fraction of their cost on the path
 * every streamed message takes: a frame already buffered resolves at once,
 * and a chunk costs one promise reaction on the body's wait, not a chain of
 * them per generator layer.
 *
 * Like an async generator it ends for good after an error or `return()`,
 * releases the body when the reader stops early, and answers reads that
 * overlap one after another.
 */
export class MessageReader<T> implements AsyncIterableIterator<T> {
  readonly #body: AsyncIterable<Uint8Array>;
  #chunks: AsyncIterator<Uint8Array> | undefined;
  readonly #decoder: EnvelopeDecoder;
  readonly #steps: FrameSteps<T>;
  #frames: readonly Envelope[] = [];
  #index = 0;
  /** Whether reading is over: the body ended, failed, or the reader returned. */
  #over = false;
  /** Whether a read is under way. */
  #busy = false;
  /** Reads waiting for the one under way (overlapping `next()` calls). */
  #queued = 0;
  /** The last read asked for, which the next overlapping one waits for. */
  #last: Promise<IteratorResult<T>> | undefined;

  /**
   * @param maxBytes the largest frame accepted (its payload, in bytes).
   * @param truncatedCode the code of a body that ends within a frame.
   */
  constructor(
    body: AsyncIterable<Uint8Array>,
    maxBytes: number,
    truncatedCode: Code,
    steps: FrameSteps<T>,
  ) {
    this.#body = body;
    this.#decoder = new EnvelopeDecoder(maxBytes, truncatedCode);
    this.#steps = steps;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T>> {
    if (!this.#busy && this.#queued === 0) {
      this.#last = this.#read();
      return this.#last;
    }
    this.#queued++;
    this.#last = this.#last!.then(this.#readQueued, this.#readQueued);
    return this.#last;
  }

  /** Stops reading: the body is released. */
  return(): Promise<IteratorResult<T>> {
    if (!this.#over) this.#stop(true);
    return Promise.resolve(done);
  }

  readonly #readQueued = (): Promise<IteratorResult<T>> => {
    this.#queued--;
    return this.#read();
  };

  // Not an async function: its frame and awaits cost more than the one
  // promise reaction a chunk needs here, on a path every message takes.
  #read(): Promise<IteratorResult<T>> {
    if (this.#over) return Promise.resolve(done);
    let step: Step<T>;
    try {
      step = this.#drain();
    } catch (error) {
      return Promise.reject(this.#failWith(error));
    }
    if (step === undefined) return this.#nextChunk();
    return step instanceof Promise ? step : Promise.resolve(step);
  }

  /** Waits for the body's next chunk, then answers from its frames. */
  #nextChunk(): Promise<IteratorResult<T>> {
    let chunk: Promise<IteratorResult<Uint8Array>>;
    try {
      this.#chunks ??= this.#body[Symbol.asyncIterator]();
      chunk = this.#chunks.next();
    } catch (error) {
      return Promise.reject(this.#failWith(error));
    }
    this.#busy = true;
    return chunk.then(this.#onChunk, this.#onError);
  }

  readonly #onChunk = (
    chunk: IteratorResult<Uint8Array>,
  ): IteratorResult<T> | Promise<IteratorResult<T>> => {
    this.#busy = false;
    // Stopped by return() while the chunk was on its way.
    if (this.#over) return done;
    let step: Step<T>;
    try {
      if (chunk.done === true) {
        this.#decoder.end();
        this.#steps.end?.();
        this.#stop(false);
        return done;
      }
      this.#frames = this.#decoder.push(chunk.value);
      this.#index = 0;
      step = this.#drain();
    } catch (error) {
      throw this.#failWith(error);
    }
    return step === undefined ? this.#nextChunk() : step;
  };

  readonly #onError = (error: unknown): never => {
    this.#busy = false;
    throw this.#failWith(error);
  };

  /**
   * Answers from the frames decoded so far: a message, a promise of one (a
   * frame that has to wait), or undefined when another chunk is needed.
   */
  #drain(): Step<T> {
    while (this.#index < this.#frames.length) {
      const produced = this.#steps.frame(this.#frames[this.#index++]!);
      if (produced instanceof Promise) {
        this.#busy = true;
        return produced.then(this.#onFrame, this.#onError);
      }
      if (produced !== undefined) return { done: false, value: produced };
    }
    return undefined;
  }

  /** A frame that had to wait is ready; without a message in it, reading goes on. */
  readonly #onFrame = (message: T | undefined): IteratorResult<T> | Promise<IteratorResult<T>> => {
    this.#busy = false;
    if (this.#over) return done;
    if (message !== undefined) return { done: false, value: message };
    return this.#read();
  };

  /** The error the reader sees; reading is over. */
  #failWith(error: unknown): unknown {
    const failure = this.#steps.fail === undefined ? error : this.#steps.fail(error);
    if (!this.#over) this.#stop(true);
    return failure;
  }

  /** Ends reading; `early` when the body has not ended, which is then released. */
  #stop(early: boolean): void {
    this.#over = true;
    this.#frames = [];
    if (early) closeQuietly(this.#chunks);
    this.#steps.release?.();
  }
}

/**
 * The messages of a request body: `payload` checks each frame (and
 * decompresses it if it must), `parse` decodes it. Malformed bodies are
 * `invalid_argument`, as a server reports a client's mistakes.
 */
export function readRequestMessages<T>(
  body: AsyncIterable<Uint8Array>,
  maxBytes: number,
  payload: (env: Envelope) => Uint8Array | Promise<Uint8Array>,
  parse: (data: Uint8Array) => T,
): MessageReader<T> {
  return new MessageReader(body, maxBytes, Code.InvalidArgument, {
    frame(env) {
      const data = payload(env);
      return data instanceof Uint8Array ? parse(data) : data.then(parse);
    },
  });
}
