import type {
  DescMessage,
  DescMethodBiDiStreaming,
  DescMethodClientStreaming,
  DescMethodServerStreaming,
  DescMethodUnary,
  DescService,
  MessageInitShape,
  MessageShape,
  Registry,
} from "@bufbuild/protobuf";
import type { Compression } from "./compression.js";
import type { ConnectError } from "./connect-error.js";
import type { Interceptor } from "./interceptor.js";
import type { Metadata, MetadataInit } from "./metadata.js";

/** The RPC protocols. */
export type Protocol = "connect" | "grpc" | "grpc-web";

/** Message encodings: binary Protobuf or Protobuf JSON. */
export type CodecName = "proto" | "json";

/** Options fixed when a client is built. */
export interface ClientOptions {
  /** The RPC protocol; `"connect"` by default. */
  protocol?: Protocol;
  /** The message encoding; `"proto"` by default. */
  codec?: CodecName;
  /**
   * Compression, off unless named. `send` compresses requests; `accept`
   * lists what responses may use (`send` is accepted too). Messages smaller than
   * `minBytes` (default 1024) are sent uncompressed.
   */
  compression?: {
    send?: Compression;
    accept?: readonly Compression[];
    minBytes?: number;
  };
  /** Interceptors, the first outermost. */
  interceptors?: readonly Interceptor[];
  /** Largest response message accepted, after decompression. Default 4 MiB (`DEFAULT_READ_MAX_BYTES`). */
  readMaxBytes?: number;
  /** Largest request message sent. Default: no limit beyond the envelope's 4 GiB. */
  writeMaxBytes?: number;
  /**
   * Send unary calls of methods marked `NO_SIDE_EFFECTS` as Connect GET
   * requests, which caches and proxies can serve. Off by default.
   */
  useHttpGet?: boolean;
  /**
   * Types for `google.protobuf.Any` in JSON, beyond those of the service's
   * own file and its imports, which are always known.
   */
  registry?: Registry;
  /** A timeout applied to every call that does not set its own. */
  defaultTimeoutMs?: number;
}

/** Options of one call. */
export interface CallOptions {
  /** Request headers to add. */
  headers?: MetadataInit;
  /**
   * Milliseconds the call may take. Sent to the server and enforced here:
   * when it passes, the call ends with `deadline_exceeded`.
   */
  timeoutMs?: number;
  /** Aborting it ends the call with `canceled`. */
  signal?: AbortSignal;
}

/**
 * The outcome of a unary or client-streaming call in the low-level form: it
 * never throws for RPC errors; `error` is set instead and `message` is then
 * undefined.
 */
export interface UnaryOutput<O> {
  readonly message: O | undefined;
  readonly headers: Metadata;
  readonly trailers: Metadata;
  readonly error: ConnectError | undefined;
}

/**
 * The outcome of a server-streaming or bidi call in the low-level form.
 * Iterating yields the messages and does not throw for RPC errors: when the
 * stream ends, `error` tells whether it ended well. `headers` and `trailers`
 * fill in as the response arrives. Close it (or `await using` it) to stop
 * early; that cancels the call and releases its stream.
 */
export interface StreamOutput<O> extends AsyncIterable<O>, AsyncDisposable {
  /** Resolves with the response headers (or empty headers if the call failed first). */
  responseHeaders(): Promise<Metadata>;
  /** Response headers, empty until they arrive. */
  readonly headers: Metadata;
  /** Response trailers, complete once the stream has ended. */
  readonly trailers: Metadata;
  /** Set once the stream has ended with an error. */
  readonly error: ConnectError | undefined;
  /** Cancels the call if it is still running and releases its resources. */
  close(): Promise<void>;
}

/** Requests for client-streaming and bidi calls. */
export type RequestStream<I extends DescMessage> =
  | AsyncIterable<MessageInitShape<I>>
  | Iterable<MessageInitShape<I>>;

/** The typed client that {@link createClient} builds for a service. */
export type Client<S extends DescService> = {
  [K in keyof S["method"]]: S["method"][K] extends DescMethodUnary<infer I, infer O>
    ? (request: MessageInitShape<I>, options?: CallOptions) => Promise<MessageShape<O>>
    : S["method"][K] extends DescMethodServerStreaming<infer I, infer O>
      ? (request: MessageInitShape<I>, options?: CallOptions) => AsyncIterable<MessageShape<O>>
      : S["method"][K] extends DescMethodClientStreaming<infer I, infer O>
        ? (requests: RequestStream<I>, options?: CallOptions) => Promise<MessageShape<O>>
        : S["method"][K] extends DescMethodBiDiStreaming<infer I, infer O>
          ? (requests: RequestStream<I>, options?: CallOptions) => AsyncIterable<MessageShape<O>>
          : never;
};
