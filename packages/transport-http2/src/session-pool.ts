import { Code, ConnectError } from "@connect-ts/protocol";
import { abortError, wrapHttp2Error } from "./errors.js";
import type { ResolvedOptions } from "./options.js";
import { PooledSession, type SessionEvents } from "./pooled-session.js";

type Waiter = {
  resolve(session: PooledSession): void;
  reject(reason: ConnectError): void;
  signal: AbortSignal;
  onAbort: () => void;
};

/**
 * The HTTP/2 sessions to one origin. A request takes a slot on the first
 * session with room under the peer's MAX_CONCURRENT_STREAMS; when none has
 * room, another session is opened (up to `maxSessions`), and past that the
 * request waits for a slot. Sessions that got GOAWAY, failed or closed leave
 * the pool at once, so the next request opens a fresh one instead of failing.
 */
export class SessionPool implements SessionEvents {
  readonly #origin: string;
  readonly #options: ResolvedOptions;
  /** Sessions that still take new streams. */
  #usable: PooledSession[] = [];
  /** Every session not yet closed, including draining ones. */
  readonly #open = new Set<PooledSession>();
  #waiters: Waiter[] = [];
  #closing = false;

  constructor(origin: string, options: ResolvedOptions) {
    this.#origin = origin;
    this.#options = options;
  }

  /** The sessions that are not yet closed (for tests and diagnostics). */
  get sessionCount(): number {
    return this.#open.size;
  }

  /**
   * Reserves a slot on a session with room, opening a session if needed and
   * allowed. Returns `undefined` when the request has to wait.
   */
  tryAcquire(): PooledSession | undefined {
    if (this.#closing) return undefined;
    let pending = false;
    for (const session of this.#usable) {
      if (session.capacity > 0) {
        session.reserve();
        return session;
      }
      if (session.pending) pending = true;
    }
    // While a new session's limit is unknown, wait for it rather than open many.
    if (pending || this.#usable.length >= this.#options.maxSessions) return undefined;
    const session = new PooledSession(this.#origin, this.#options, this);
    this.#usable.push(session);
    this.#open.add(session);
    session.reserve();
    return session;
  }

  /**
   * Waits for a slot; rejects when the signal aborts or the pool cannot
   * connect. A signal that cannot abort (`abortable` false) gets no listener.
   */
  acquire(signal: AbortSignal, abortable = true): Promise<PooledSession> {
    if (this.#closing) return Promise.reject(closedError());
    const session = this.tryAcquire();
    if (session !== undefined) return Promise.resolve(session);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const index = this.#waiters.indexOf(waiter);
          if (index >= 0) this.#waiters.splice(index, 1);
          reject(abortError(signal));
        },
      };
      if (abortable) signal.addEventListener("abort", waiter.onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  onCapacity(): void {
    this.#serveWaiters();
  }

  onGone(session: PooledSession): void {
    const index = this.#usable.indexOf(session);
    if (index >= 0) this.#usable.splice(index, 1);
    if (session.isClosed) this.#open.delete(session);
    if (this.#waiters.length === 0) return;
    if (!session.connected && session.error !== undefined && this.#usable.length === 0) {
      // The connection could not be made: the waiting requests would fail the same way.
      const error = wrapHttp2Error(session.error);
      for (const waiter of this.#takeWaiters()) waiter.reject(error);
      return;
    }
    this.#serveWaiters();
  }

  /** Stops taking requests and closes every session once its streams finish. */
  close(): Promise<void> {
    this.#closing = true;
    const error = closedError();
    for (const waiter of this.#takeWaiters()) waiter.reject(error);
    const closed: Promise<void>[] = [];
    for (const session of this.#open) {
      session.close();
      closed.push(session.closed);
    }
    return Promise.all(closed).then(() => undefined);
  }

  #serveWaiters(): void {
    while (this.#waiters.length > 0) {
      const session = this.tryAcquire();
      if (session === undefined) return;
      const waiter = this.#waiters.shift()!;
      waiter.signal.removeEventListener("abort", waiter.onAbort);
      waiter.resolve(session);
    }
  }

  #takeWaiters(): Waiter[] {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.signal.removeEventListener("abort", waiter.onAbort);
    return waiters;
  }
}

function closedError(): ConnectError {
  return new ConnectError("transport is closed", Code.Unavailable);
}
