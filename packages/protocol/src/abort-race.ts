import { Code } from "./code.js";
import { ConnectError } from "./connect-error.js";

const noop = () => {};

/** Settles like `promise`, or rejects with the signal's reason as soon as it aborts. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(abortError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      promise.catch(() => {});
      reject(abortError(signal));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (reason: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(reason);
      },
    );
  });
}

/** The abort reason of a signal as a `ConnectError` (`canceled` unless the reason says otherwise). */
export function abortError(signal: AbortSignal): ConnectError {
  return abortReasonError(signal.reason);
}

/** An abort reason as a `ConnectError` (`canceled` unless the reason says otherwise). */
export function abortReasonError(reason: unknown): ConnectError {
  if (reason instanceof ConnectError) return reason;
  return ConnectError.from(
    reason ?? new ConnectError("operation was aborted", Code.Canceled),
    Code.Canceled,
  );
}

/**
 * Races promises, one at a time, against a signal with a single listener.
 * Loops that read a stream item by item use it instead of `raceAbort`, which
 * adds and removes a listener for every item: a measurable cost per message.
 * Call {@link dispose} when the loop ends.
 */
export class AbortRace {
  readonly #signal: AbortSignal;
  #reject: ((reason: unknown) => void) | undefined;
  #listening = false;

  constructor(signal: AbortSignal) {
    this.#signal = signal;
  }

  /** Settles like `promise`, or rejects with the signal's reason as a `ConnectError` when it aborts first. */
  race<T>(promise: Promise<T>): Promise<T> {
    const signal = this.#signal;
    if (signal.aborted) {
      promise.catch(noop);
      return Promise.reject(abortError(signal));
    }
    if (!this.#listening) {
      signal.addEventListener("abort", this.#onAbort, { once: true });
      this.#listening = true;
    }
    return new Promise<T>((resolve, reject) => {
      this.#reject = reject;
      promise.then(
        (value) => {
          this.#reject = undefined;
          resolve(value);
        },
        (reason: unknown) => {
          this.#reject = undefined;
          reject(reason);
        },
      );
    });
  }

  /** Detaches from the signal. A race still pending settles with its promise. */
  dispose(): void {
    if (this.#listening) {
      this.#signal.removeEventListener("abort", this.#onAbort);
      this.#listening = false;
    }
    this.#reject = undefined;
  }

  readonly #onAbort = (): void => {
    this.#listening = false;
    const reject = this.#reject;
    this.#reject = undefined;
    reject?.(abortError(this.#signal));
  };
}
