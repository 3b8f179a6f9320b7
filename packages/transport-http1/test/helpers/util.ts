/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rejects with a clear message if `promise` takes longer than `ms`: tests never hang. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** An async queue: push values in, iterate them out; `end()` finishes it. */
export class Channel<T> implements AsyncIterable<T> {
  #values: T[] = [];
  #waiters: ((result: IteratorResult<T>) => void)[] = [];
  #ended = false;
  /** How many values the consumer has taken. */
  taken = 0;

  push(value: T): void {
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      this.taken++;
      waiter({ done: false, value });
    } else this.#values.push(value);
  }

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

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** UTF-8 bytes of a string. */
export function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** The string a UTF-8 byte array holds. */
export function text(data: Uint8Array): string {
  return decoder.decode(data);
}
