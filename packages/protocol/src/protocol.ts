import type { DescMethod, DescService, Message, Registry } from "@bufbuild/protobuf";
import type { CodecName, Protocol } from "./client-types.js";
import type { Compression } from "./compression.js";
import type { ServerRequest, Transport, UniversalHandler } from "./http.js";
import type { AnyFn } from "./interceptor.js";
import type { Serializer } from "./serialization.js";

// The seam between the runtimes and the wire formats. The client runtime and
// the router know a protocol only through these two interfaces; Connect,
// gRPC and gRPC-Web each implement them in a folder of their own.

/** Everything a client protocol needs about one method, settled when the method is first called. */
export interface ClientMethodConfig {
  readonly transport: Transport;
  readonly service: DescService;
  readonly method: DescMethod;
  /** The absolute URL of the method. */
  readonly url: string;
  readonly codec: CodecName;
  /** Encodes requests. */
  readonly input: Serializer<Message>;
  /** Decodes responses; malformed ones throw `internal`. */
  readonly output: Serializer<Message>;
  readonly readMaxBytes: number;
  readonly writeMaxBytes: number;
  readonly sendCompression: Compression | undefined;
  /** What responses may use: the accept list, with the send encoding included. */
  readonly acceptCompression: readonly Compression[];
  readonly compressMinBytes: number;
  readonly useHttpGet: boolean;
  readonly registry: Registry | undefined;
}

/** The client end of a wire protocol. */
export interface ClientProtocol {
  readonly name: Protocol;
  /**
   * Builds the innermost step of a method's call chain: it sends the request
   * through the transport and reads the response. Called once per method.
   */
  createCall(config: ClientMethodConfig): AnyFn;
}

/** Serializers of one method in one codec, on the server: requests in, responses out. */
export interface HandlerSerializers {
  /** Decodes requests; malformed ones throw `invalid_argument`. */
  readonly input: Serializer<Message>;
  readonly output: Serializer<Message>;
}

/** Everything a handler protocol needs about one method, settled when the router is built. */
export interface HandlerMethodConfig {
  readonly service: DescService;
  readonly method: DescMethod;
  /** The implementation wrapped in the server interceptors. */
  readonly call: AnyFn;
  /** The serializers of a codec, built on first use and cached. */
  serializers(codec: CodecName): HandlerSerializers;
  readonly readMaxBytes: number;
  readonly writeMaxBytes: number;
  readonly compression: readonly Compression[];
  readonly compressMinBytes: number;
  readonly registry: Registry | undefined;
  readonly requireConnectProtocolHeader: boolean;
  readonly maxTimeoutMs: number | undefined;
}

/** The server end of a wire protocol. */
export interface HandlerProtocol {
  readonly name: Protocol;
  /** Tells whether a request speaks this protocol, from its verb and content type alone. */
  claims(request: ServerRequest): boolean;
  /** Builds the handler of one method; called once per method when the router is built. */
  createHandler(config: HandlerMethodConfig): UniversalHandler;
}
