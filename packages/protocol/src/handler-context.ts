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
// interceptors, which see only requests and responses. The call's signal is
// the one object that goes the whole way, so it is the key.
const contexts = new WeakMap<AbortSignal, HandlerContext>();

/** Creates the context of a call and makes it findable from the call's signal. */
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
  contexts.set(init.signal, context);
  return context;
}

/** The context of the call a signal belongs to, if a protocol created one. */
export function contextOf(signal: AbortSignal): HandlerContext | undefined {
  return contexts.get(signal);
}
