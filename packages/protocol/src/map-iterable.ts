import { closeQuietly, doneResult as done } from "./iteration.js";

/**
 * The values of `source`, each passed through `map`, as an async iterable:
 * what `async function* (s) { for await (const v of s) yield map(v) }` does,
 * for one promise reaction per value instead of a generator's chain of them.
 * It is on the path of every message a client streams (a message built from
 * its init, then framed), where a generator per step cost more than the
 * step.
 *
 * As with the generator: the source is opened on the first read; `return()`
 * closes it; a failing `map` closes it and ends the iteration with the
 * error; after an error or `return()`, reads answer done.
 */
export function mapIterable<A, B>(
  source: AsyncIterable<A>,
  map: (value: A) => B | Promise<B>,
): AsyncIterable<B> {
  return {
    [Symbol.asyncIterator]: () => new MapIterator(source, map),
  };
}

class MapIterator<A, B> implements AsyncIterator<B> {
  readonly #source: AsyncIterable<A>;
  readonly #map: (value: A) => B | Promise<B>;
  #it: AsyncIterator<A> | undefined;
  #over = false;

  constructor(source: AsyncIterable<A>, map: (value: A) => B | Promise<B>) {
    this.#source = source;
    this.#map = map;
  }

  next(): Promise<IteratorResult<B>> {
    if (this.#over) return Promise.resolve(done);
    let next: Promise<IteratorResult<A>>;
    try {
      this.#it ??= this.#source[Symbol.asyncIterator]();
      next = this.#it.next();
    } catch (error) {
      this.#over = true;
      return Promise.reject(error);
    }
    return next.then(this.#onValue, this.#onError);
  }

  return(): Promise<IteratorResult<B>> {
    if (!this.#over) {
      this.#over = true;
      closeQuietly(this.#it);
    }
    return Promise.resolve(done);
  }

  readonly #onValue = (
    result: IteratorResult<A>,
  ): IteratorResult<B> | Promise<IteratorResult<B>> => {
    if (result.done === true) {
      this.#over = true;
      return done;
    }
    // Closed while the value was on its way: it is dropped, as a generator would.
    if (this.#over) return done;
    let mapped: B | Promise<B>;
    try {
      mapped = this.#map(result.value);
    } catch (error) {
      this.#failed();
      throw error;
    }
    if (mapped instanceof Promise) return mapped.then(this.#wrap, this.#onMapError);
    return { done: false, value: mapped };
  };

  readonly #wrap = (value: B): IteratorResult<B> => ({ done: false, value });

  readonly #onMapError = (error: unknown): never => {
    this.#failed();
    throw error;
  };

  readonly #onError = (error: unknown): never => {
    this.#over = true;
    throw error;
  };

  /** `map` failed: the iteration is over and the source is closed. */
  #failed(): void {
    this.#over = true;
    closeQuietly(this.#it);
  }
}
