import type { DescMethod, DescService } from "@bufbuild/protobuf";
import type { Protocol } from "./client-types.js";
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

// The context travels from the protocol to the implementation past the
// interceptors, which see only requests and responses. It rides on the
// request under a symbol: interceptors that copy a request with spread keep it.
const contextKey = Symbol("connect-ts.handler-context");

/** Creates the context of a call. */
export function createHandlerContext(init: HandlerContextInit): HandlerContext {
  const deadline = init.timeoutMs === undefined ? undefined : Date.now() + init.timeoutMs;
  const context: HandlerContext = {
    service: init.service,
    method: init.method,
    protocol: init.protocol,
    httpVersion: init.httpVersion,
    requestHeaders: init.requestHeaders,
    responseHeaders: new Metadata(),
    responseTrailers: new Metadata(),
    signal: init.signal,
    deadline,
    timeRemaining: () => (deadline === undefined ? undefined : Math.max(0, deadline - Date.now())),
  };
  return context;
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
