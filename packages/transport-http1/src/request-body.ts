import { Code, ConnectError } from "@connect-ts/protocol";

/**
 * A streaming request body that can be stopped from outside. undici waits on
 * the body's `next()` with no way to abort it, so a request aborted while its
 * producer is idle would hang until the producer yields again; stopping this
 * wrapper rejects the pending `next()` at once and tells the producer to finish.
 */
export class StoppableBody implements AsyncIterable<Uint8Array>, AsyncIterator<Uint8Array> {
  readonly #source: AsyncIterable<Uint8Array>;
  #iterator: AsyncIterator<Uint8Array> | undefined;
  #stopped: Error | undefined;
  #rejectPending: ((reason: Error) => void) | undefined;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.#source = source;
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this;
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    if (this.#stopped !== undefined) return Promise.reject(this.#stopped);
    this.#iterator ??= this.#source[Symbol.asyncIterator]();
    return new Promise((resolve, reject) => {
      this.#rejectPending = reject;
      this.#iterator!.next().then(
        (result) => {
          this.#rejectPending = undefined;
          resolve(result);
        },
        (error: unknown) => {
          // The producer failed: that is the request's error, not a network one.
          this.#rejectPending = undefined;
          reject(ConnectError.from(error, Code.Unknown));
        },
      );
    });
  }

  return(): Promise<IteratorResult<Uint8Array>> {
    this.stop(new Error("request body closed"));
    return Promise.resolve({ done: true, value: undefined });
  }

  /** Stops the body: a pending or later `next()` rejects with `reason`. */
  stop(reason: Error): void {
    if (this.#stopped !== undefined) return;
    this.#stopped = reason;
    const reject = this.#rejectPending;
    this.#rejectPending = undefined;
    reject?.(reason);
    const iterator = this.#iterator;
    if (iterator?.return !== undefined) iterator.return().then(undefined, () => {});
  }
}
