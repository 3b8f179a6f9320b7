import { Code } from "../code.js";

// The Connect table of codes to HTTP statuses, indexed by code number.
const statusByCode: readonly number[] = [
  200, // 0, ok: not an error code, kept so the table is indexed by number.
  499, // canceled
  500, // unknown
  400, // invalid_argument
  504, // deadline_exceeded
  404, // not_found
  409, // already_exists
  403, // permission_denied
  429, // resource_exhausted
  400, // failed_precondition
  409, // aborted
  400, // out_of_range
  501, // unimplemented
  500, // internal
  503, // unavailable
  500, // data_loss
  401, // unauthenticated
];

/** The HTTP status a Connect server answers a unary error with. */
export function codeToHttpStatus(code: Code): number {
  return statusByCode[code] ?? 500;
}

/**
 * The code a Connect client infers from an HTTP status when the response
 * carries no Connect error of its own (a proxy's error page, an empty body).
 */
export function httpStatusToCode(status: number): Code {
  switch (status) {
    case 400:
      return Code.Internal;
    case 401:
      return Code.Unauthenticated;
    case 403:
      return Code.PermissionDenied;
    case 404:
      return Code.Unimplemented;
    case 429:
    case 502:
    case 503:
    case 504:
      return Code.Unavailable;
    default:
      return Code.Unknown;
  }
}
