import { Code } from "./code.js";
import { ConnectError } from "./connect-error.js";
import { abortError } from "./http-body.js";

/** The signal of one call, with the timer and listener behind it. */
export interface CallSignal {
  /**
   * Aborts when the parent signal aborts or the timeout passes, or (if the
   * call signal was made abortable) when {@link abort} is called. Its reason
   * may be the parent's own: read it with `abortError`.
   */
  readonly signal: AbortSignal;
  /** Aborts the call with a reason (a `ConnectError`). No-op if already aborted or not abortable. */
  abort(reason: ConnectError): void;
  /** Clears the timer and detaches from the parent; call it once the call has ended. */
  cleanup(): void;
  /** When the call's timeout passes, as a `Date.now()` timestamp; undefined without one. */
  readonly deadline?: number;
}

type Timer = ReturnType<typeof setTimeout>;

const MAX_TIMER_MS = 0x7fffffff;

const noop = () => {};

/**
 * Builds the signal of a call from an optional parent (the caller's signal or
 * the server request's) and an optional timeout. When the timeout passes the
 * signal aborts with `deadline_exceeded`; when the parent aborts, with the
 * parent's reason as a `ConnectError` (`canceled` unless it says otherwise).
 * The timer never keeps the process alive.
 *
 * A call that nobody but its parent can end (`abortable` false, no timeout)
 * gets the parent's signal itself, with no listener or timer to clean up:
 * the plumbing per call is a measurable share of a unary call's cost.
 */
export function createCallSignal(
  parent: AbortSignal | undefined,
  timeoutMs: number | undefined,
  abortable = true,
): CallSignal {
  if (!abortable && timeoutMs === undefined) {
    // A signal of its own even so: transports add a listener per request, and
    // one signal shared by many concurrent calls trips Node's listener warning.
    return { signal: parent ?? new AbortController().signal, abort: noop, cleanup: noop };
  }
  const controller = new AbortController();
  let timer: Timer | undefined;
  let onParentAbort: (() => void) | undefined;
  const cleanup = () => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (onParentAbort !== undefined) {
      parent?.removeEventListener("abort", onParentAbort);
      onParentAbort = undefined;
    }
  };
  const abort = (reason: ConnectError) => {
    if (!controller.signal.aborted) controller.abort(reason);
    cleanup();
  };
  if (parent !== undefined) {
    if (parent.aborted) {
      controller.abort(abortError(parent));
      return { signal: controller.signal, abort, cleanup };
    }
    onParentAbort = () => abort(abortError(parent));
    parent.addEventListener("abort", onParentAbort, { once: true });
  }
  let deadline: number | undefined;
  if (timeoutMs !== undefined) {
    deadline = Date.now() + timeoutMs;
    if (timeoutMs <= 0) {
      abort(deadlineError(timeoutMs));
    } else {
      const end = deadline;
      // Timers cannot wait longer than about 24.8 days; a longer deadline
      // (Connect allows 10 digits of milliseconds) is reached in steps.
      const arm = (ms: number) => {
        timer = setTimeout(
          () => {
            timer = undefined;
            const left = end - Date.now();
            if (left > 0) arm(left);
            else abort(deadlineError(timeoutMs));
          },
          Math.min(ms, MAX_TIMER_MS),
        );
        (timer as { unref?: () => void }).unref?.();
      };
      arm(timeoutMs);
    }
  }
  return { signal: controller.signal, abort, cleanup, deadline };
}

/**
 * How close to the deadline a peer's cancellation counts as the deadline. A
 * server enforcing the same timeout resets the stream when it passes, and its
 * reset can arrive a moment before our own timer fires.
 */
const DEADLINE_SLACK_MS = 25;

/**
 * Reads a `canceled` error that arrived from the peer at (or just before) the
 * call's deadline as `deadline_exceeded`, which is what ended the call.
 */
export function deadlineAware(err: ConnectError, call: CallSignal): ConnectError {
  if (
    err.code !== Code.Canceled ||
    call.deadline === undefined ||
    Date.now() < call.deadline - DEADLINE_SLACK_MS
  ) {
    return err;
  }
  return new ConnectError(err.rawMessage, Code.DeadlineExceeded, {
    metadata: err.metadata,
    details: err.details,
    cause: err,
  });
}

/** The error a call ends with when its deadline passes. */
export function deadlineError(timeoutMs: number): ConnectError {
  return new ConnectError(`the operation timed out after ${timeoutMs}ms`, Code.DeadlineExceeded);
}
