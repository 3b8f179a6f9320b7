/**
 * An async iterable fed by `push`: the request side of a ping-pong bidi
 * stream, where each message is known only once the previous echo arrived.
 */
export class PushQueue<T> implements AsyncIterable<T> {
  readonly #items: T[] = [];
  #waiting: ((result: IteratorResult<T>) => void) | undefined;
  #ended = false;

  /** Queues a value, or hands it straight to a waiting reader. */
  push(value: T): void {
    if (this.#ended) throw new Error("push after end");
    const waiting = this.#waiting;
    if (waiting !== undefined) {
      this.#waiting = undefined;
      waiting({ value, done: false });
    } else {
      this.#items.push(value);
    }
  }

  /** Ends the iterable once queued values are read. */
  end(): void {
    this.#ended = true;
    const waiting = this.#waiting;
    if (waiting !== undefined && this.#items.length === 0) {
      this.#waiting = undefined;
      waiting({ value: undefined, done: true });
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        if (this.#items.length > 0) {
          return Promise.resolve({ value: this.#items.shift() as T, done: false });
        }
        if (this.#ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.#waiting = resolve;
        });
      },
      return: () => {
        this.end();
        return Promise.resolve({ value: undefined, done: true });
      },
      throw: (error: unknown) => {
        this.end();
        return Promise.reject(error);
      },
    };
  }
}
