import { Code } from "./code.js";
import { ConnectError } from "./connect-error.js";
import { AbortRace, abortError } from "./abort-race.js";
import type { HttpBody } from "./http.js";

// Kept here too: transports and protocols import them from this module.
export { abortError, raceAbort } from "./abort-race.js";

const empty = new Uint8Array(0);

/**
 * Wraps bytes or a stream of chunks as an {@link HttpBody}. `readAll` stops
 * reading (and cancels the source) as soon as the limit is passed. When
 * `signal` aborts, a pending read rejects at once with its reason as a
 * `ConnectError`, and the source is released.
 */
export function createHttpBody(
  source: Uint8Array | AsyncIterable<Uint8Array> | undefined,
  signal?: AbortSignal,
): HttpBody {
  return new SourceBody(source ?? empty, signal);
}

class SourceBody implements HttpBody {
  #source: Uint8Array | AsyncIterable<Uint8Array>;
  #iterator: AsyncIterator<Uint8Array> | undefined;
  #used = false;
  #done = false;
  readonly #signal: AbortSignal | undefined;
  #race: AbortRace | undefined;

  constructor(source: Uint8Array | AsyncIterable<Uint8Array>, signal: AbortSignal | undefined) {
    this.#source = source;
    this.#signal = signal;
  }

  async readAll(maxBytes: number): Promise<Uint8Array> {
    this.#claim();
    const source = this.#source;
    if (source instanceof Uint8Array) {
      this.#done = true;
      if (this.#signal?.aborted) throw abortError(this.#signal);
      if (source.length > maxBytes) throw tooLarge(maxBytes);
      return source;
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const chunk = await this.#next();
      if (chunk === undefined) break;
      total += chunk.length;
      if (total > maxBytes) {
        this.cancel();
        throw tooLarge(maxBytes);
      }
      chunks.push(chunk);
    }
    if (chunks.length === 1) return chunks[0]!;
    const out = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    this.#claim();
    return {
      next: async () => {
        const chunk = await this.#next();
        return chunk === undefined
          ? { done: true, value: undefined }
          : { done: false, value: chunk };
      },
      return: async () => {
        this.cancel();
        return { done: true, value: undefined };
      },
    };
  }

  cancel(): void {
    this.#race?.dispose();
    if (this.#done) return;
    this.#done = true;
    const it = this.#iterator;
    this.#iterator = undefined;
    if (it?.return !== undefined) {
      // The source's own cleanup may fail; nobody is left to tell.
      Promise.resolve()
        .then(() => it.return?.())
        .catch(() => {});
    }
  }

  #claim(): void {
    if (this.#used) throw new ConnectError("body already read", Code.Internal);
    this.#used = true;
  }

  async #next(): Promise<Uint8Array | undefined> {
    if (this.#done) {
      if (this.#signal?.aborted) throw abortError(this.#signal);
      return undefined;
    }
    const source = this.#source;
    if (source instanceof Uint8Array) {
      this.#done = true;
      if (this.#signal?.aborted) throw abortError(this.#signal);
      return source.length > 0 ? source : undefined;
    }
    this.#iterator ??= source[Symbol.asyncIterator]();
    const signal = this.#signal;
    if (signal?.aborted) {
      this.cancel();
      throw abortError(signal);
    }
    let result: IteratorResult<Uint8Array>;
    try {
      if (signal === undefined) {
        result = await this.#iterator.next();
      } else {
        this.#race ??= new AbortRace(signal);
        result = await this.#race.race(this.#iterator.next());
      }
    } catch (e) {
      this.cancel();
      if (signal?.aborted) throw abortError(signal);
      throw ConnectError.from(e, Code.Internal);
    }
    if (result.done) {
      this.#done = true;
      this.#iterator = undefined;
      this.#race?.dispose();
      return undefined;
    }
    return result.value;
  }
}

function tooLarge(maxBytes: number): ConnectError {
  return new ConnectError(
    `message is larger than configured max ${maxBytes} bytes`,
    Code.ResourceExhausted,
  );
}
