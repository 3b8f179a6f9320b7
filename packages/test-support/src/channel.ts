/** An async queue: push values in, iterate them out; `end()` finishes it. */
export class Channel<T> implements AsyncIterable<T> {
  #values: T[] = [];
  #waiters: ((result: IteratorResult<T>) => void)[] = [];
  #ended = false;
  /** How many values the consumer has taken. */
  taken = 0;

  /** Hands `value` to a waiting consumer, or queues it for the next one. */
  push(value: T): void {
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      this.taken++;
      waiter({ done: false, value });
    } else this.#values.push(value);
  }

  /** Finishes iteration once the queued values are taken; waiting consumers finish now. */
  end(): void {
    this.#ended = true;
    for (const waiter of this.#waiters.splice(0)) waiter({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        if (this.#values.length > 0) {
          this.taken++;
          return Promise.resolve({ done: false, value: this.#values.shift()! });
        }
        if (this.#ended) return Promise.resolve({ done: true, value: undefined });
        return new Promise((resolve) => this.#waiters.push(resolve));
      },
      return: () => {
        this.end();
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }
}
