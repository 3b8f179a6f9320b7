export { Code, codeFromString, codeToString, isCode } from "./code.js";
export {
  ConnectError,
  type ConnectErrorOptions,
  type ErrorDetail,
  type MessageDetail,
} from "./connect-error.js";
export { Metadata, type MetadataInit } from "./metadata.js";
export { base64Decode, base64Encode } from "./base64.js";
export type {
  AbortWatcher,
  HttpBody,
  HttpRequest,
  HttpResponse,
  ServerRequest,
  ServerResponse,
  Transport,
  UniversalHandler,
} from "./http.js";
export type { Compression } from "./compression.js";
export {
  type AnyFn,
  applyInterceptors,
  type Interceptor,
  type StreamRequest,
  type StreamResponse,
  type UnaryRequest,
  type UnaryResponse,
} from "./interceptor.js";
export type {
  CallOptions,
  Client,
  ClientOptions,
  CodecName,
  Protocol,
  RequestStream,
  StreamOutput,
  UnaryOutput,
} from "./client-types.js";
export type {
  HandlerContext,
  MethodImpl,
  RouterOptions,
  Router,
  ServiceImpl,
  ServiceRegistration,
} from "./handler-types.js";
export { RpcClient } from "./client.js";
export { createClient } from "./create-client.js";
export { registerService } from "./service-registration.js";
export { createRouter } from "./router.js";
export { createMemoryTransport, type MemoryTransportOptions } from "./memory-transport.js";
export { DEFAULT_READ_MAX_BYTES } from "./limits.js";
export {
  EnvelopeDecoder,
  type Envelope,
  encodeEnvelope,
  FLAG_COMPRESSED,
  FLAG_END_STREAM,
  FLAG_TRAILERS,
  readEnvelopes,
} from "./envelope.js";
export { AbortRace, abortError, raceAbort } from "./abort-race.js";
export { createHttpBody } from "./http-body.js";
export { type CallSignal, createCallSignal } from "./call-signal.js";
export { createSerializer, type Serializer } from "./serialization.js";
export {
  compressMessage,
  decompressMessage,
  negotiateServerCompression,
  parseEncodingList,
  type ServerCompression,
} from "./compression-negotiation.js";
export type { HandlerContextInit } from "./handler-context.js";
export { codeToHttpStatus, httpStatusToCode } from "./connect/http-status.js";
export {
  errorFromJson,
  errorFromJsonBytes,
  errorToJson,
  errorToJsonBytes,
  type ErrorJson,
} from "./connect/error-json.js";
export { type BodySource, PushBody } from "./push-body.js";
