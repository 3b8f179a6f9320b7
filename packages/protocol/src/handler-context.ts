import type { DescMethod, DescService } from "@bufbuild/protobuf";
import type { Protocol } from "./client-types.js";
import type { SignalSource } from "./handler-signal.js";
import type { HandlerContext } from "./handler-types.js";
import { Metadata } from "./metadata.js";

/** What a handler protocol knows when it starts a call. */
export interface HandlerContextInit {
  readonly service: DescService;
  readonly method: DescMethod;
  readonly protocol: Protocol;
  readonly httpVersion: "1.1" | "2";
  readonly requestHeaders: Metadata;
  readonly signal: AbortSignal;
  readonly timeoutMs: number | undefined;
}

/**
 * The context of one server call. What most calls never touch costs nothing
 * until it is touched: the response headers and trailers are made on first
 * use, and the signal is read from its source (the call's
 * {@link HandlerSignal}) only when asked for.
 */
export class CallContext implements HandlerContext {
  readonly service: DescService;
  readonly method: DescMethod;
  readonly protocol: Protocol;
  readonly httpVersion: "1.1" | "2";
  readonly requestHeaders: Metadata;
  readonly deadline: number | undefined;
  readonly #signal: SignalSource;
  #responseHeaders: Metadata | undefined = undefined;
  #responseTrailers: Metadata | undefined = undefined;

  constructor(
    service: DescService,
    method: DescMethod,
    protocol: Protocol,
    httpVersion: "1.1" | "2",
    requestHeaders: Metadata,
    signal: SignalSource,
    deadline: number | undefined,
  ) {
    this.service = service;
    this.method = method;
    this.protocol = protocol;
    this.httpVersion = httpVersion;
    this.requestHeaders = requestHeaders;
    this.#signal = signal;
    this.deadline = deadline;
  }

  get responseHeaders(): Metadata {
    let headers = this.#responseHeaders;
    if (headers === undefined) {
      headers = new Metadata();
      this.#responseHeaders = headers;
    }
    return headers;
  }

  get responseTrailers(): Metadata {
    let trailers = this.#responseTrailers;
    if (trailers === undefined) {
      trailers = new Metadata();
      this.#responseTrailers = trailers;
    }
    return trailers;
  }

  get signal(): AbortSignal {
    return this.#signal.signal;
  }

  timeRemaining(): number | undefined {
    return this.deadline === undefined ? undefined : Math.max(0, this.deadline - Date.now());
  }

  /** The response headers if anything asked for them, without making them. */
  static headersOf(context: CallContext): Metadata | undefined {
    return context.#responseHeaders;
  }

  /** The response trailers if anything asked for them, without making them. */
  static trailersOf(context: CallContext): Metadata | undefined {
    return context.#responseTrailers;
  }
}

/** Response headers a context holds: undefined when none were asked for, which means none were set. */
export function responseHeadersOf(context: HandlerContext): Metadata | undefined {
  return context instanceof CallContext ? CallContext.headersOf(context) : context.responseHeaders;
}

/** Response trailers a context holds: undefined when none were asked for. */
export function responseTrailersOf(context: HandlerContext): Metadata | undefined {
  return context instanceof CallContext
    ? CallContext.trailersOf(context)
    : context.responseTrailers;
}

// The context travels from the protocol to the implementation past the
// interceptors, which see only requests and responses. It rides on the
// request under a symbol: interceptors that copy a request with spread keep it.
const contextKey = Symbol("connect-ts.handler-context");

/** Creates the context of a call. */
export function createHandlerContext(init: HandlerContextInit): HandlerContext {
  return new CallContext(
    init.service,
    init.method,
    init.protocol,
    init.httpVersion,
    init.requestHeaders,
    init,
    init.timeoutMs === undefined ? undefined : Date.now() + init.timeoutMs,
  );
}

/** Attaches a context to the request that starts a server call; returns the request. */
export function withContext<R extends object>(request: R, context: HandlerContext): R {
  (request as Record<symbol, unknown>)[contextKey] = context;
  return request;
}

/** The context attached to a request, if a protocol attached one. */
export function contextOf(request: object): HandlerContext | undefined {
  return (request as Record<symbol, HandlerContext | undefined>)[contextKey];
}
