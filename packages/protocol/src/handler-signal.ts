import { abortError, abortReasonError } from "./abort-race.js";
import { deadlineError } from "./call-signal.js";
import type { ConnectError } from "./connect-error.js";
import type { AbortWatcher, ServerRequest } from "./http.js";

type Timer = ReturnType<typeof setTimeout>;

const MAX_TIMER_MS = 0x7fffffff;

/**
 * What a call's signal derives from: the server request, whose `signal` is
 * read only when needed, and which may tell of its abort through
 * {@link ServerRequest.watchAbort} instead.
 */
export type SignalSource = Pick<ServerRequest, "signal" | "watchAbort">;

// How a call watches its request for an abort: not (yet), through the
// request's watchAbort, or with an "abort" listener on the request's signal.
const WATCH_NONE = 0;
const WATCH_WATCHER = 1;
const WATCH_LISTENER = 2;

/**
 * The end of one server call: client gone (the request's abort), the
 * deadline, or the protocol giving up on the call (a stream whose client
 * stopped reading).
 *
 * Made so that a call nobody cancels pays only for this object. The
 * request's signal is not read unless something asks for it or the request
 * cannot tell of its abort otherwise (server adapters may build the signal
 * on first read, and tell through `watchAbort`), an `AbortController` exists
 * only once the signal of a call that needs one of its own is read, and a
 * timer runs only when the client sent a timeout. An end that comes before
 * the signal is read is recorded, and the signal is born aborted with the
 * same reason.
 *
 * A unary call without a timeout ends only when its request aborts, so its
 * signal is the request's own.
 */
export class HandlerSignal implements AbortWatcher {
  /** When the timeout passes, as a `Date.now()` timestamp; undefined without one. */
  readonly deadline: number | undefined;
  readonly #source: SignalSource;
  readonly #own: boolean;
  #controller: AbortController | undefined = undefined;
  #reason: ConnectError | undefined = undefined;
  #timer: Timer | undefined = undefined;
  #watch: number = WATCH_NONE;
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
      else this.#watchSource();
    }
    return controller.signal;
  }

  /** Why the call ended, as far as known without asking the request. */
  get ended(): ConnectError | undefined {
    return this.#reason;
  }

  /**
   * Why the call ended, or undefined while it runs. Asks the request, and
   * from then on watches it (until {@link cleanup}).
   */
  get reason(): ConnectError | undefined {
    if (this.#reason === undefined && this.#watch === WATCH_NONE) {
      if (this.#closed) {
        const parent = this.#source.signal;
        if (parent.aborted) this.#end(abortError(parent));
      } else {
        this.#watchSource();
      }
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
   * as soon as it ends. One wait at a time; the request is watched once for
   * all the waits of a call, until {@link cleanup}.
   */
  race<T>(promise: Promise<T>): Promise<T> {
    const reason = this.reason;
    if (reason !== undefined) return rejectInstead(promise, reason);
    return this.#wait(promise);
  }

  /**
   * Like {@link race}, but ends early only for the call's own reasons (its
   * deadline, {@link abort}), not for the request's abort, which is not
   * watched for it. For waits that the request's end settles by itself: a
   * server adapter's body read rejects when the client goes away. Without a
   * timeout, a unary call's wait is `promise` itself.
   */
  raceOwn<T>(promise: Promise<T>): Promise<T> {
    const reason = this.#reason;
    if (reason !== undefined) return rejectInstead(promise, reason);
    if (!this.#own) return promise;
    return this.#wait(promise);
  }

  /** Stops the timer and stops watching the request; call it once the call has ended. */
  cleanup(): void {
    this.#closed = true;
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const watch = this.#watch;
    this.#watch = WATCH_NONE;
    if (watch === WATCH_WATCHER) this.#source.watchAbort?.(undefined);
    else if (watch === WATCH_LISTENER) this.#source.signal.removeEventListener("abort", this);
    this.#reject = undefined;
  }

  /** Called by the request when it aborts (see {@link ServerRequest.watchAbort}). */
  requestAborted(reason: unknown): void {
    if (this.#watch !== WATCH_WATCHER) return;
    this.#watch = WATCH_NONE;
    this.#end(abortReasonError(reason));
  }

  /** Called by the request's signal when it aborts (the object is its own listener: no closure per call). */
  handleEvent(): void {
    if (this.#watch !== WATCH_LISTENER) return;
    this.#watch = WATCH_NONE;
    this.#end(abortError(this.#source.signal));
  }

  /**
   * The wait behind {@link race} and {@link raceOwn}: `promise` settles the
   * result, and so does {@link #end}, whichever comes first (settling a
   * settled promise does nothing, so neither needs to undo the other).
   */
  #wait<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#reject = reject;
      promise.then(resolve, reject);
    });
  }

  /** Starts watching the request for its abort, unless the call has ended or watches already. */
  #watchSource(): void {
    if (this.#watch !== WATCH_NONE || this.#reason !== undefined || this.#closed) return;
    const source = this.#source;
    if (source.watchAbort !== undefined) {
      if (source.watchAbort(this)) this.#watch = WATCH_WATCHER;
      else this.#end(abortError(source.signal));
      return;
    }
    const parent = source.signal;
    if (parent.aborted) {
      this.#end(abortError(parent));
      return;
    }
    this.#watch = WATCH_LISTENER;
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

/** A rejection with `reason` in place of a wait on `promise`, whose own failure is then ignored. */
function rejectInstead<T>(promise: Promise<T>, reason: ConnectError): Promise<T> {
  promise.catch(noop);
  return Promise.reject(reason);
}
