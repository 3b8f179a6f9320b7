import type { DescMessage, DescMethod, DescService, MessageShape } from "@bufbuild/protobuf";
import type { Metadata } from "./metadata.js";

/** Fields every call carries through the interceptor chain, on either end. */
interface CallCommon {
  /** `"client"` in a client's chain, `"server"` in a router's. */
  readonly side: "client" | "server";
  readonly service: DescService;
  readonly method: DescMethod;
  /** Client: the absolute request URL. Server: the request path. */
  readonly url: string;
  /** Request headers. Interceptors may change them before calling `next`. */
  readonly header: Metadata;
  /** Aborted when the call is cancelled or its deadline passes. */
  readonly signal: AbortSignal;
  /** The timeout of the call in milliseconds, if it has one. */
  readonly timeoutMs: number | undefined;
}

/** A unary or server-streaming request: one message. */
export interface UnaryRequest<I extends DescMessage = DescMessage> extends CallCommon {
  readonly stream: false;
  readonly message: MessageShape<I>;
}

/** A client-streaming or bidi request: a stream of messages. */
export interface StreamRequest<I extends DescMessage = DescMessage> extends CallCommon {
  readonly stream: true;
  readonly message: AsyncIterable<MessageShape<I>>;
}

/** A unary or client-streaming response: one message. */
export interface UnaryResponse<O extends DescMessage = DescMessage> {
  readonly stream: false;
  readonly service: DescService;
  readonly method: DescMethod;
  readonly header: Metadata;
  readonly message: MessageShape<O>;
  readonly trailer: Metadata;
}

/** A server-streaming or bidi response: `trailer` is complete once `message` has ended. */
export interface StreamResponse<O extends DescMessage = DescMessage> {
  readonly stream: true;
  readonly service: DescService;
  readonly method: DescMethod;
  readonly header: Metadata;
  readonly message: AsyncIterable<MessageShape<O>>;
  readonly trailer: Metadata;
}

/**
 * One step of a call. The response shape follows the method kind
 * (`UnaryResponse` for unary and client-streaming methods,
 * `StreamResponse` for server-streaming and bidi ones). Failures are thrown
 * (or rejected) as `ConnectError`, with headers and trailers in its `metadata`.
 */
export type AnyFn = (
  request: UnaryRequest | StreamRequest,
) => Promise<UnaryResponse | StreamResponse>;

/**
 * Wraps a call: see or change the request, call `next`, see or change the
 * response or the error. The same shape serves clients and servers, unary and
 * streaming calls. Interceptors run in the order given: the first is outermost.
 *
 * @example
 * const addHeader: Interceptor = (next) => async (req) => {
 *   req.header.set("x-trace", "1");
 *   return next(req);
 * };
 */
export type Interceptor = (next: AnyFn) => AnyFn;

/** Composes interceptors around `last`, the first interceptor outermost. */
export function applyInterceptors(
  last: AnyFn,
  interceptors: readonly Interceptor[] | undefined,
): AnyFn {
  if (interceptors === undefined) return last;
  let fn = last;
  for (let i = interceptors.length - 1; i >= 0; i--) fn = interceptors[i]!(fn);
  return fn;
}
