import {
  type AnyFn,
  abortError,
  Code,
  ConnectError,
  type Interceptor,
  Metadata,
  type UnaryRequest,
} from "@connect-ts/protocol";

/** Options of {@link retry}. */
export interface RetryOptions {
  /** Attempts in all, the first included. Default 3; 1 turns retrying off. */
  maxAttempts?: number;
  /** Codes worth another attempt. Default `[Code.Unavailable]`. */
  codes?: readonly Code[];
  /** Wait before the second attempt, in milliseconds. Default 100. */
  initialBackoffMs?: number;
  /** Longest wait between attempts. Default 5000. */
  maxBackoffMs?: number;
  /** Growth of the wait per attempt. Default 2. */
  multiplier?: number;
  /**
   * Fraction of each wait drawn at random, so that clients failing together
   * do not retry together: 0.2 (the default) waits between 80% and 100% of
   * the backoff. 0 for fixed waits, 1 for "full jitter".
   */
  jitter?: number;
  /**
   * A last say on whether to retry, after the code matched: for example, to
   * retry only idempotent methods. `attempt` is the attempt that failed (1 for
   * the first).
   */
  shouldRetry?: (error: ConnectError, attempt: number, request: UnaryRequest) => boolean;
  /** Source of randomness in [0, 1). Default `Math.random`; tests pass a fixed one. */
  random?: () => number;
}

/**
 * Retries client calls that fail with a retryable code, waiting an
 * exponentially growing, jittered time between attempts.
 *
 * Only calls with a single request message are retried (unary and
 * server-streaming): a request stream cannot be replayed. A server stream is
 * retried only while no response has arrived: once its headers are in, the
 * call is returned as it is and errors met while reading it are final. Waits
 * end early when the call is cancelled, and a wait that would outlast the
 * call's timeout is not started: the last error is returned instead.
 *
 * A server may steer this with gRPC's `grpc-retry-pushback-ms` (in the
 * error's headers or trailers): a number of milliseconds replaces the
 * computed wait; a negative or unreadable value stops retrying.
 *
 * Each attempt gets its own copy of the request headers, so interceptors
 * inside this one see the headers as the caller set them every time. On a
 * server this interceptor does nothing.
 *
 * Retrying is only safe for calls the server may run twice; `unavailable`
 * usually means the request was not processed, but not always.
 *
 * @example
 * createClient(ElizaService, transport, {
 *   interceptors: [retry({ maxAttempts: 4, codes: [Code.Unavailable, Code.ResourceExhausted] })],
 * });
 */
export function retry(options: RetryOptions = {}): Interceptor {
  const maxAttempts = positiveInt("maxAttempts", options.maxAttempts ?? 3);
  const codes = new Set(options.codes ?? [Code.Unavailable]);
  const initial = nonNegative("initialBackoffMs", options.initialBackoffMs ?? 100);
  const max = nonNegative("maxBackoffMs", options.maxBackoffMs ?? 5000);
  const multiplier = nonNegative("multiplier", options.multiplier ?? 2);
  const jitter = Math.min(1, nonNegative("jitter", options.jitter ?? 0.2));
  const random = options.random ?? Math.random;
  const shouldRetry = options.shouldRetry;

  return (next: AnyFn): AnyFn =>
    async (request) => {
      if (request.side !== "client" || request.stream || maxAttempts === 1) return next(request);
      const deadline = request.timeoutMs === undefined ? undefined : Date.now() + request.timeoutMs;
      for (let attempt = 1; ; attempt++) {
        try {
          return await next({ ...request, header: new Metadata(request.header) });
        } catch (e) {
          const error = ConnectError.from(e);
          if (attempt >= maxAttempts || !codes.has(error.code)) throw error;
          if (request.signal.aborted) throw error;
          if (shouldRetry !== undefined && !shouldRetry(error, attempt, request)) throw error;
          const pushback = serverPushback(error);
          if (pushback === "stop") throw error;
          const backoff = Math.min(max, initial * multiplier ** (attempt - 1));
          const wait = pushback ?? backoff * (1 - jitter * random());
          if (deadline !== undefined && Date.now() + wait >= deadline) throw error;
          await sleep(wait, request.signal);
        }
      }
    };
}

/**
 * Reads gRPC's retry pushback from the error's metadata: a server sends
 * `grpc-retry-pushback-ms` to say how long to wait, or a negative or
 * unreadable value to say "do not retry". `undefined` when it is absent.
 */
function serverPushback(error: ConnectError): number | "stop" | undefined {
  const value = error.metadata.get("grpc-retry-pushback-ms");
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim())) return "stop";
  return Number(value.trim());
}

/** Waits `ms`, or rejects with the call's own error as soon as its signal aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(abortError(signal));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`retry: ${name} must be a positive integer, got ${value}`);
  }
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`retry: ${name} must be a finite number >= 0, got ${value}`);
  }
  return value;
}
