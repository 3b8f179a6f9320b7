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

/** undici error codes and the status codes they stand for; anything else is `unavailable`. */
const codes = new Map<string, Code>([
  // The peer sent something that is not valid HTTP/1.1.
  ["UND_ERR_INFO", Code.Internal],
  ["UND_ERR_NOT_SUPPORTED", Code.Internal],
  // What the caller gave is not valid HTTP (a header value with a line break, say).
  ["UND_ERR_INVALID_ARG", Code.InvalidArgument],
  ["UND_ERR_INVALID_RETURN_VALUE", Code.Internal],
  ["UND_ERR_REQ_CONTENT_LENGTH_MISMATCH", Code.Internal],
  ["UND_ERR_HEADERS_OVERFLOW", Code.ResourceExhausted],
  ["UND_ERR_RES_EXCEEDED_MAX_SIZE", Code.ResourceExhausted],
  ["UND_ERR_ABORT", Code.Canceled],
  ["UND_ERR_ABORTED", Code.Canceled],
  ["ABORT_ERR", Code.Canceled],
  ["UND_ERR_HEADERS_TIMEOUT", Code.DeadlineExceeded],
  ["UND_ERR_BODY_TIMEOUT", Code.DeadlineExceeded],
]);

/**
 * Wraps an error from undici or the socket in a `ConnectError`, keeping the
 * original as `cause`. Malformed HTTP from the peer is `internal`; anything
 * to do with reaching the peer (refused, reset, closed, TLS failure, connect
 * timeout) is `unavailable`.
 */
export function wrapUndiciError(error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  const code = errorCode(error);
  let status = Code.Unavailable;
  if (error instanceof Error && error.name === "HTTPParserError") {
    // Its code is HPE_* when llhttp names the problem, and absent otherwise.
    status = Code.Internal;
  } else if (code !== undefined) {
    if (code.startsWith("HPE_")) status = Code.Internal;
    else status = codes.get(code) ?? Code.Unavailable;
  }
  return new ConnectError(errorText(error), status, { cause: error });
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
