import { Code } from "../code.js";
import { ConnectError } from "../connect-error.js";

/** The header that carries a gRPC call's timeout. */
export const TIMEOUT_HEADER = "grpc-timeout";

/** Units of `grpc-timeout`, smallest first, with their length in milliseconds. */
const units: readonly (readonly [string, number])[] = [
  ["n", 1e-6],
  ["u", 1e-3],
  ["m", 1],
  ["S", 1_000],
  ["M", 60_000],
  ["H", 3_600_000],
];

/** The protocol allows at most 8 digits. */
const MAX_VALUE = 99_999_999;

/**
 * The header value for a timeout: the finest unit whose value fits in 8
 * digits, rounded up so the server never sees a shorter timeout than the
 * client's. Whole milliseconds use `m` as a start, so the usual case keeps
 * its exact value; a fraction of a millisecond uses `u`.
 */
export function encodeGrpcTimeout(timeoutMs: number): string {
  if (!(timeoutMs > 0)) return "0n";
  const start = Number.isInteger(timeoutMs) ? 2 : 1;
  for (let i = start; i < units.length; i++) {
    const [unit, size] = units[i]!;
    const value = Math.ceil(timeoutMs / size);
    if (value <= MAX_VALUE) return `${value}${unit}`;
  }
  return `${MAX_VALUE}H`;
}

const timeoutRe = /^([0-9]{1,8})([HMSmun])$/;

/**
 * Parses `grpc-timeout` into milliseconds (possibly fractional): absent gives
 * `undefined`; anything but 1 to 8 ASCII digits followed by one of the units
 * `H M S m u n` is an `invalid_argument` error.
 */
export function parseGrpcTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = timeoutRe.exec(value);
  if (m === null) {
    throw new ConnectError(
      `protocol error: invalid ${TIMEOUT_HEADER} "${value.length > 20 ? `${value.slice(0, 20)}...` : value}": want 1 to 8 digits and a unit (H, M, S, m, u, n)`,
      Code.InvalidArgument,
    );
  }
  const size = units.find(([unit]) => unit === m[2])![1];
  return Number(m[1]) * size;
}
