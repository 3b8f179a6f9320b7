import { abortError } from "./abort-race.js";
import { deadlineError } from "./call-signal.js";
import type { ConnectError } from "./connect-error.js";

type Timer = ReturnType<typeof setTimeout>;

const MAX_TIMER_MS = 0x7fffffff;

/** What a call's signal derives from: the server request, whose `signal` is read only when needed. */
export interface SignalSource {
  readonly signal: AbortSignal;
}

/**
 * The end of one server call: client gone (the request's signal), the
 * deadline, or the protocol giving up on the call (a stream whose client
 * stopped reading).
 *
 * Made so that a call nobody cancels pays only for this object. The
 * request's signal is not read until something waits on the call or asks
 * for its signal (server adapters may build it on first read), an
 * `AbortController` exists only once the signal of a call that needs one of
 * its own is read, and a timer runs only when the client sent a timeout. An
 * end that comes before the signal is read is recorded, and the signal is
 * born aborted with the same reason.
 *
 * A unary call without a timeout ends only when its request's signal aborts,
 * so its signal is the request's own.
 */
export class HandlerSignal {
  /** When the timeout passes, as a `Date.now()` timestamp; undefined without one. */
  readonly deadline: number | undefined;
  readonly #source: SignalSource;
  readonly #own: boolean;
  #controller: AbortController | undefined = undefined;
  #reason: ConnectError | undefined = undefined;
  #timer: Timer | undefined = undefined;
  #parent: AbortSignal | undefined = undefined;
  #reject: ((reason: unknown) => void) | undefined = undefined;
  #closed = false;

  /**
   * @param own whether the call needs a signal of its own even without a
   *   timeout: streams do, so that {@link abort} can stop their handler.
   */
  constructor(source: SignalSource, timeoutMs: number | undefined, own: boolean) {
    this.#source = source;
    this.#own = own || timeoutMs !== undefined;
    if (timeoutMs === undefined) {
      this.deadline = undefined;
      return;
    }
    this.deadline = Date.now() + timeoutMs;
    if (timeoutMs <= 0) this.#reason = deadlineError(timeoutMs);
    else this.#arm(timeoutMs, timeoutMs);
  }

  /** The call's signal, made on first read. */
  get signal(): AbortSignal {
    if (!this.#own) return this.#source.signal;
    let controller = this.#controller;
    if (controller === undefined) {
      controller = new AbortController();
      this.#controller = controller;
      if (this.#reason !== undefined) controller.abort(this.#reason);
      else this.#watchParent();
    }
    return controller.signal;
  }

  /** Why the call ended, as far as known without reading the request's signal. */
  get ended(): ConnectError | undefined {
    return this.#reason;
  }

  /** Why the call ended, or undefined while it runs. Reads the request's signal. */
  get reason(): ConnectError | undefined {
    if (this.#reason === undefined) {
      const parent = this.#source.signal;
      if (parent.aborted) this.#end(abortError(parent));
    }
    return this.#reason;
  }

  /**
   * Ends the call with a reason, unless it has ended already. A call whose
   * signal is the request's own cannot be ended from here (a unary call
   * needs to: it ends with its answer).
   */
  abort(reason: ConnectError): void {
    if (this.#own) this.#end(reason);
  }

  /**
   * Settles like `promise`, or rejects with the reason the call ends with
   * as soon as it ends. One wait at a time; the request's signal gets one
   * listener for all the waits of a call, removed by {@link cleanup}.
   */
  race<T>(promise: Promise<T>): Promise<T> {
    const reason = this.reason;
    if (reason !== undefined) {
      promise.catch(noop);
      return Promise.reject(reason);
    }
    this.#watchParent();
    return new Promise<T>((resolve, reject) => {
      this.#reject = reject;
      promise.then(
        (value) => {
          this.#reject = undefined;
          resolve(value);
        },
        (err: unknown) => {
          this.#reject = undefined;
          reject(err);
        },
      );
    });
  }

  /**
   * Like {@link race}, but ends early only for the call's own reasons (its
   * deadline, {@link abort}), not for the request's signal, which is left
   * unread. For waits that the request's end settles by itself: a server
   * adapter's body read rejects when the client goes away. Without a
   * timeout, a unary call's wait is `promise` itself.
   */
  raceOwn<T>(promise: Promise<T>): Promise<T> {
    const reason = this.#reason;
    if (reason !== undefined) {
      promise.catch(noop);
      return Promise.reject(reason);
    }
    if (!this.#own) return promise;
    return new Promise<T>((resolve, reject) => {
      this.#reject = reject;
      promise.then(
        (value) => {
          this.#reject = undefined;
          resolve(value);
        },
        (err: unknown) => {
          this.#reject = undefined;
          reject(err);
        },
      );
    });
  }

  /** Stops the timer and detaches from the request's signal; call it once the call has ended. */
  cleanup(): void {
    this.#closed = true;
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#parent !== undefined) {
      this.#parent.removeEventListener("abort", this);
      this.#parent = undefined;
    }
    this.#reject = undefined;
  }

  /** Called by the request's signal when it aborts (the object is its own listener: no closure per call). */
  handleEvent(): void {
    const parent = this.#parent;
    this.#parent = undefined;
    if (parent !== undefined) this.#end(abortError(parent));
  }

  #watchParent(): void {
    if (this.#parent !== undefined || this.#reason !== undefined || this.#closed) return;
    const parent = this.#source.signal;
    if (parent.aborted) {
      this.#end(abortError(parent));
      return;
    }
    this.#parent = parent;
    parent.addEventListener("abort", this);
  }

  #end(reason: ConnectError): void {
    if (this.#reason !== undefined) return;
    this.#reason = reason;
    const reject = this.#reject;
    this.cleanup();
    this.#controller?.abort(reason);
    reject?.(reason);
  }

  // Timers cannot wait longer than about 24.8 days; a longer deadline
  // (Connect allows 10 digits of milliseconds) is reached in steps.
  #arm(ms: number, timeoutMs: number): void {
    const timer = setTimeout(
      () => {
        this.#timer = undefined;
        const left = this.deadline! - Date.now();
        if (left > 0) this.#arm(left, timeoutMs);
        else this.#end(deadlineError(timeoutMs));
      },
      Math.min(ms, MAX_TIMER_MS),
    );
    (timer as { unref?: () => void }).unref?.();
    this.#timer = timer;
  }
}

function noop(): void {}
