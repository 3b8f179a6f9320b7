import type {
  DescMethod,
  DescMethodBiDiStreaming,
  DescMethodClientStreaming,
  DescMethodServerStreaming,
  DescMethodUnary,
  DescService,
  MessageInitShape,
  MessageShape,
  Registry,
} from "@bufbuild/protobuf";
import type { Protocol } from "./client-types.js";
import type { Compression } from "./compression.js";
import type { UniversalHandler } from "./http.js";
import type { Interceptor } from "./interceptor.js";
import type { Metadata } from "./metadata.js";

/**
 * What a handler knows of its call beyond the request message: the request
 * headers, the deadline and a signal that aborts when the client goes away or
 * the deadline passes, and the response headers and trailers to send.
 */
export interface HandlerContext {
  readonly service: DescService;
  readonly method: DescMethod;
  readonly protocol: Protocol;
  readonly httpVersion: "1.1" | "2";
  /** Headers the client sent. */
  readonly requestHeaders: Metadata;
  /** Headers to send; changes after the first response message has gone have no effect. */
  readonly responseHeaders: Metadata;
  /** Trailers to send when the call ends. */
  readonly responseTrailers: Metadata;
  /** Aborted when the client disconnects, the deadline passes or the server shuts down. */
  readonly signal: AbortSignal;
  /** The deadline as a `Date.now()` timestamp, if the client sent a timeout. */
  readonly deadline: number | undefined;
  /** Milliseconds left until the deadline, if there is one (never negative). */
  timeRemaining(): number | undefined;
}

/** A response message, built or as an init object; a promise of one is fine too. */
type MaybePromise<T> = T | Promise<T>;

/** The implementation of one method, typed by its kind. */
export type MethodImpl<M> =
  M extends DescMethodUnary<infer I, infer O>
    ? (request: MessageShape<I>, context: HandlerContext) => MaybePromise<MessageInitShape<O>>
    : M extends DescMethodServerStreaming<infer I, infer O>
      ? (request: MessageShape<I>, context: HandlerContext) => AsyncIterable<MessageInitShape<O>>
      : M extends DescMethodClientStreaming<infer I, infer O>
        ? (
            requests: AsyncIterable<MessageShape<I>>,
            context: HandlerContext,
          ) => MaybePromise<MessageInitShape<O>>
        : M extends DescMethodBiDiStreaming<infer I, infer O>
          ? (
              requests: AsyncIterable<MessageShape<I>>,
              context: HandlerContext,
            ) => AsyncIterable<MessageInitShape<O>>
          : never;

/**
 * An implementation of a service: one function per method. To end a stream
 * with an error, throw a `ConnectError` from the generator after yielding
 * what should go before it.
 */
export type ServiceImpl<S extends DescService> = {
  [K in keyof S["method"]]: MethodImpl<S["method"][K]>;
};

/**
 * A service and its implementation, ready for a router. Methods missing from
 * `implementation` answer `unimplemented`.
 */
export interface ServiceRegistration {
  readonly service: DescService;
  readonly implementation: Readonly<Record<string, Function | undefined>>;
}

/** Options of a router (and so of every server adapter). */
export interface RouterOptions {
  /** Server interceptors, the first outermost. */
  interceptors?: readonly Interceptor[];
  /**
   * Compression the server accepts and may answer with, in order of
   * preference. Off unless given.
   */
  compression?: readonly Compression[];
  /** Responses smaller than this many bytes go uncompressed. Default 1024. */
  compressMinBytes?: number;
  /** Largest request message accepted, after decompression. Default 4 MiB. */
  readMaxBytes?: number;
  /** Largest response message sent. Default: no limit beyond the envelope's. */
  writeMaxBytes?: number;
  /** Protocols served; all that are implemented by default. */
  protocols?: readonly Protocol[];
  /**
   * Types for `google.protobuf.Any` in JSON, beyond those of each service's
   * own file and its imports, which are always known.
   */
  registry?: Registry;
  /** Require the `Connect-Protocol-Version` header on Connect requests. Off by default. */
  requireConnectProtocolHeader?: boolean;
  /** Longest timeout a client may ask for; longer ones are cut to it. */
  maxTimeoutMs?: number;
}

/** The request-handling side of the runtime, mounted by server adapters. */
export interface Router {
  /** Answers any request: RPCs it routes, everything else with the right HTTP status. */
  readonly handle: UniversalHandler;
  /** The request paths served, e.g. `/eliza.v1.ElizaService/Say`. */
  readonly paths: ReadonlySet<string>;
}
