import { Code } from "../code.js";
import { ConnectError } from "../connect-error.js";

/** The header that carries a Connect call's timeout. */
export const TIMEOUT_HEADER = "connect-timeout-ms";

const MAX_TIMEOUT_MS = 9_999_999_999;

/**
 * The header value for a timeout: whole milliseconds, rounded up so a
 * sub-millisecond timeout does not become zero, at most 10 digits.
 */
export function encodeTimeout(timeoutMs: number): string {
  return String(Math.min(MAX_TIMEOUT_MS, Math.max(1, Math.ceil(timeoutMs))));
}

/**
 * Parses `Connect-Timeout-Ms`: absent gives `undefined`; anything but 1 to 10
 * ASCII digits is an `invalid_argument` error.
 */
export function parseTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[0-9]{1,10}$/.test(value)) {
    throw new ConnectError(
      `protocol error: invalid ${TIMEOUT_HEADER} "${value.length > 20 ? `${value.slice(0, 20)}...` : value}": want 1 to 10 digits`,
      Code.InvalidArgument,
    );
  }
  return Number(value);
}
