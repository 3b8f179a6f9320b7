import { Code, ConnectError } from "@connect-ts/protocol";

/** One call in flight, as the tracker sees it. */
export interface TrackedCall {
  /** Aborts the handler's signal with `reason` (once; later calls do nothing). */
  abort(reason: unknown): void;
  /** Tears the response down without waiting for the handler. */
  destroy(): void;
}

/** Options of a graceful shutdown. */
export interface ShutdownOptions {
  /**
   * How long in-flight calls may run on before their signals are aborted with
   * `unavailable`. Default 5000 ms. Zero aborts them at once.
   */
  graceMs?: number;
  /**
   * How long aborted calls get to send their error before their streams are
   * torn down. Default 1000 ms.
   */
  abortWaitMs?: number;
}

/**
 * Keeps the set of calls in flight so that a shutdown can wait for them, then
 * cancel them. Adding and removing a call is a `Set` operation; nothing is
 * allocated per call beyond the call record itself.
 */
export class CallTracker {
  readonly #calls = new Set<TrackedCall>();
  #draining = false;
  #onEmpty: (() => void) | undefined;
  #shutdown: Promise<void> | undefined;

  /** True once a shutdown has begun: new calls are refused. */
  get draining(): boolean {
    return this.#draining;
  }

  /** The number of calls in flight. */
  get size(): number {
    return this.#calls.size;
  }

  /** Starts tracking a call. */
  add(call: TrackedCall): void {
    this.#calls.add(call);
  }

  /** Stops tracking a call that has ended; the last one to end lets a waiting shutdown go on. */
  delete(call: TrackedCall): void {
    if (this.#calls.delete(call) && this.#calls.size === 0) this.#onEmpty?.();
  }

  /**
   * Refuses new calls from now on, waits up to `graceMs` for the calls in
   * flight, then aborts the rest with `unavailable` and, if they still have
   * not ended after `abortWaitMs`, tears their streams down. Calling it again
   * returns the same promise.
   */
  shutdown(options: ShutdownOptions = {}): Promise<void> {
    this.#shutdown ??= this.#run(options.graceMs ?? 5000, options.abortWaitMs ?? 1000);
    return this.#shutdown;
  }

  async #run(graceMs: number, abortWaitMs: number): Promise<void> {
    this.#draining = true;
    if (await this.#waitEmpty(graceMs)) return;
    // `unavailable` rather than `canceled`: the client did not cancel, the
    // server went away, and `unavailable` tells the client that trying again
    // (on another server) is safe.
    const reason = new ConnectError("the server is shutting down", Code.Unavailable);
    for (const call of this.#calls) call.abort(reason);
    if (await this.#waitEmpty(abortWaitMs)) return;
    for (const call of [...this.#calls]) call.destroy();
    this.#calls.clear();
  }

  /** Resolves true once no call is in flight, or false after `ms`. */
  #waitEmpty(ms: number): Promise<boolean> {
    if (this.#calls.size === 0) return Promise.resolve(true);
    if (ms <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#onEmpty = undefined;
        resolve(false);
      }, ms);
      this.#onEmpty = () => {
        clearTimeout(timer);
        this.#onEmpty = undefined;
        resolve(true);
      };
    });
  }
}
