import { errorParts } from "./call-metadata.js";
import { type CallSignal, deadlineAware } from "./call-signal.js";
import type { StreamOutput } from "./client-types.js";
import { Code } from "./code.js";
import { ConnectError } from "./connect-error.js";
import { abortError } from "./http-body.js";
import type { StreamResponse } from "./interceptor.js";
import { Metadata } from "./metadata.js";

/**
 * The low-level result of a server-streaming or bidi call. The call is
 * already running; iterating reads its messages, and an RPC error ends the
 * iteration and shows in `error` instead of being thrown. Ending the
 * iteration early, or closing, cancels the call.
 */
export class CallStreamOutput<O> implements StreamOutput<O> {
  readonly #call: CallSignal;
  readonly #ready: Promise<void>;
  #response: StreamResponse | undefined;
  #headers: Metadata = new Metadata();
  #trailers: Metadata = new Metadata();
  #error: ConnectError | undefined;
  #started = false;
  #finished = false;

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

  [Symbol.asyncIterator](): AsyncIterator<O> {
    if (this.#started) throw new TypeError("a stream output can be iterated only once");
    this.#started = true;
    return this.#iterate();
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

  async *#iterate(): AsyncGenerator<O, void, undefined> {
    try {
      await this.#ready;
      const res = this.#response;
      if (res === undefined) return;
      const signal = this.#call.signal;
      try {
        for await (const message of res.message) {
          // Messages may already sit in a buffer when the caller aborts: an
          // aborted call delivers none of them, and does not end well.
          if (signal.aborted) throw abortError(signal);
          yield message as O;
        }
        if (signal.aborted) throw abortError(signal);
        this.#trailers = res.trailer;
      } catch (e) {
        this.#fail(e);
      }
    } finally {
      const early = this.#error === undefined && this.#response !== undefined && !this.#done();
      this.#finished = true;
      if (early) this.#call.abort(new ConnectError("the stream was closed", Code.Canceled));
      else this.#call.cleanup();
    }
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
