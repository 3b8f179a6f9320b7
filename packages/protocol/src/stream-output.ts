import { errorParts } from "./call-metadata.js";
import { type CallSignal, deadlineAware } from "./call-signal.js";
import type { StreamOutput } from "./client-types.js";
import { Code } from "./code.js";
import { ConnectError } from "./connect-error.js";
import { abortError } from "./http-body.js";
import { closeQuietly, doneResult as done } from "./iteration.js";
import type { StreamResponse } from "./interceptor.js";
import { Metadata } from "./metadata.js";

/**
 * The low-level result of a server-streaming or bidi call. The call is
 * already running; iterating reads its messages, and an RPC error ends the
 * iteration and shows in `error` instead of being thrown. Ending the
 * iteration early, or closing, cancels the call.
 */
export class CallStreamOutput<O> implements StreamOutput<O>, AsyncIterator<O> {
  readonly #call: CallSignal;
  readonly #ready: Promise<void>;
  #response: StreamResponse | undefined;
  #headers: Metadata = new Metadata();
  #trailers: Metadata = new Metadata();
  #error: ConnectError | undefined;
  #started = false;
  #finished = false;
  /** The response's messages, once iteration has begun. */
  #messages: AsyncIterator<unknown> | undefined;
  /** Whether the iteration is over. */
  #over = false;

  constructor(response: Promise<StreamResponse>, call: CallSignal) {
    this.#call = call;
    this.#ready = response.then(
      (res) => {
        this.#response = res;
        this.#headers = res.header;
      },
      (e: unknown) => this.#fail(e),
    );
  }

  get headers(): Metadata {
    return this.#headers;
  }

  get trailers(): Metadata {
    return this.#trailers;
  }

  get error(): ConnectError | undefined {
    return this.#error;
  }

  async responseHeaders(): Promise<Metadata> {
    await this.#ready;
    return this.#headers;
  }

  /**
   * The output is its own iterator (it can be iterated once): one promise
   * reaction per message, where an async generator took a chain of them.
   */
  [Symbol.asyncIterator](): AsyncIterator<O> {
    if (this.#started) throw new TypeError("a stream output can be iterated only once");
    this.#started = true;
    return this;
  }

  /** Reads the next message; an error ends the iteration and shows in {@link error}. */
  next(): Promise<IteratorResult<O>> {
    if (this.#over) return Promise.resolve(done);
    const messages = this.#messages;
    if (messages === undefined) return this.#ready.then(this.#begin);
    return this.#pull(messages);
  }

  /** The reader stops early: the call is cancelled unless it is over. */
  return(): Promise<IteratorResult<O>> {
    if (!this.#over) {
      closeQuietly(this.#messages);
      this.#end();
    }
    return Promise.resolve(done);
  }

  readonly #begin = (): IteratorResult<O> | Promise<IteratorResult<O>> => {
    if (this.#over) return done;
    const res = this.#response;
    // The call failed before its response started: the error is recorded.
    if (res === undefined) return this.#end();
    let messages = this.#messages;
    if (messages === undefined) {
      try {
        messages = res.message[Symbol.asyncIterator]();
      } catch (e) {
        return this.#failEnd(e, undefined);
      }
      this.#messages = messages;
    }
    return this.#pull(messages);
  };

  #pull(messages: AsyncIterator<unknown>): Promise<IteratorResult<O>> {
    let next: Promise<IteratorResult<unknown>>;
    try {
      next = messages.next();
    } catch (e) {
      return Promise.resolve(this.#failEnd(e, undefined));
    }
    return next.then(this.#onMessage, this.#onError);
  }

  readonly #onMessage = (r: IteratorResult<unknown>): IteratorResult<O> => {
    if (this.#over) return done;
    const signal = this.#call.signal;
    // Messages may already sit in a buffer when the caller aborts: an
    // aborted call delivers none of them, and does not end well.
    if (signal.aborted)
      return this.#failEnd(abortError(signal), r.done ? undefined : this.#messages);
    if (r.done === true) {
      this.#trailers = this.#response!.trailer;
      return this.#end();
    }
    return { done: false, value: r.value as O };
  };

  readonly #onError = (e: unknown): IteratorResult<O> => {
    if (this.#over) return done;
    return this.#failEnd(e, undefined);
  };

  /** Records the error, closes `messages` if they are still open, and ends. */
  #failEnd(e: unknown, messages: AsyncIterator<unknown> | undefined): IteratorResult<O> {
    closeQuietly(messages);
    this.#fail(e);
    return this.#end();
  }

  /** The iteration is over: an early end cancels the call, any other releases its signal. */
  #end(): IteratorResult<O> {
    if (this.#over) return done;
    this.#over = true;
    // Early: neither failed nor complete, the response perhaps not even
    // started (a reader that returns before its first read).
    const early = this.#error === undefined && !this.#done();
    this.#finished = true;
    if (early) this.#call.abort(new ConnectError("the stream was closed", Code.Canceled));
    else this.#call.cleanup();
    return done;
  }

  async close(): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    this.#call.abort(new ConnectError("the stream was closed", Code.Canceled));
    await this.#ready;
    // Releases the response body if nobody iterated it.
    if (!this.#started) {
      this.#started = true;
      await this.#response?.message[Symbol.asyncIterator]().return?.();
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #done(): boolean {
    return this.#trailers === this.#response?.trailer;
  }

  #fail(e: unknown): void {
    const signal = this.#call.signal;
    const err = signal.aborted
      ? abortError(signal)
      : deadlineAware(ConnectError.from(e), this.#call);
    this.#error = err;
    const parts = errorParts(err);
    if (this.#response === undefined) this.#headers = parts.headers;
    this.#trailers = parts.trailers;
    this.#call.cleanup();
  }
}
