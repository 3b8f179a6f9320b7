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
