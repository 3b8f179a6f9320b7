import { constants } from "node:http2";
import { Code, ConnectError } from "@connect-ts/protocol";

/**
 * The error an aborted signal stands for: `deadline_exceeded` when its reason
 * is a timeout, `canceled` otherwise (a `ConnectError` reason is kept as it is).
 */
export function abortError(signal: AbortSignal): ConnectError {
  const reason: unknown = signal.reason;
  if (reason === undefined) return new ConnectError("request aborted", Code.Canceled);
  return ConnectError.from(reason, Code.Canceled);
}

/**
 * Maps an HTTP/2 RST_STREAM or GOAWAY error code to a status code, as the
 * gRPC HTTP/2 protocol document prescribes.
 */
export function codeFromHttp2Error(h2Code: number): Code {
  switch (h2Code) {
    case constants.NGHTTP2_REFUSED_STREAM:
      return Code.Unavailable;
    case constants.NGHTTP2_CANCEL:
      return Code.Canceled;
    case constants.NGHTTP2_ENHANCE_YOUR_CALM:
      return Code.ResourceExhausted;
    case constants.NGHTTP2_INADEQUATE_SECURITY:
      return Code.PermissionDenied;
    default:
      return Code.Internal;
  }
}

/** Codes of Node's HTTP/2 errors that mean the peer broke the protocol. */
const protocolErrors = new Set([
  "ERR_HTTP2_ERROR",
  "ERR_HTTP2_INVALID_HEADER_VALUE",
  "ERR_HTTP2_INVALID_INFO_STATUS",
  "ERR_HTTP2_INVALID_PSEUDOHEADER",
  "ERR_HTTP2_INVALID_SETTING_VALUE",
  "ERR_HTTP2_HEADER_SINGLE_VALUE",
  "ERR_HTTP2_STATUS_INVALID",
  "ERR_HTTP2_TOO_MANY_INVALID_FRAMES",
  "ERR_HTTP2_SETTINGS_CANCEL",
  "ERR_HTTP2_INVALID_CONNECTION_HEADERS",
  "ERR_HTTP2_INVALID_STREAM",
]);

/**
 * Wraps an error from the socket or the HTTP/2 layer in a `ConnectError`,
 * keeping the original as `cause`: protocol violations are `internal`, a
 * stream reset carries the code its RST_STREAM maps to, and anything to do
 * with reaching the peer (refused, reset, TLS failure, closed session) is
 * `unavailable`.
 */
export function wrapHttp2Error(error: unknown, rstCode?: number): ConnectError {
  if (error instanceof ConnectError) return error;
  const code = errorCode(error);
  // A stream still waiting for its session when that failed: the session's error says why.
  if (code === "ERR_HTTP2_STREAM_CANCEL" && error instanceof Error && error.cause !== undefined) {
    return wrapHttp2Error(error.cause);
  }
  if (code === "ERR_HTTP2_STREAM_ERROR" && rstCode !== undefined) {
    return new ConnectError(streamResetText(rstCode), codeFromHttp2Error(rstCode), {
      cause: error,
    });
  }
  if (code === "ABORT_ERR") return ConnectError.from(error, Code.Canceled);
  if (code !== undefined && protocolErrors.has(code)) {
    return new ConnectError(errorText(error), Code.Internal, { cause: error });
  }
  return new ConnectError(errorText(error), Code.Unavailable, { cause: error });
}

/** The text of a stream reset, naming the HTTP/2 error code. */
export function streamResetText(rstCode: number): string {
  return `stream reset by peer with ${http2ErrorName(rstCode)}`;
}

const http2ErrorNames = [
  "NO_ERROR",
  "PROTOCOL_ERROR",
  "INTERNAL_ERROR",
  "FLOW_CONTROL_ERROR",
  "SETTINGS_TIMEOUT",
  "STREAM_CLOSED",
  "FRAME_SIZE_ERROR",
  "REFUSED_STREAM",
  "CANCEL",
  "COMPRESSION_ERROR",
  "CONNECT_ERROR",
  "ENHANCE_YOUR_CALM",
  "INADEQUATE_SECURITY",
  "HTTP_1_1_REQUIRED",
];

function http2ErrorName(h2Code: number): string {
  return http2ErrorNames[h2Code] ?? `error code ${h2Code}`;
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
