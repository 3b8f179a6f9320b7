import { Code, ConnectError } from "@connect-ts/protocol";

/**
 * The error for output that passed the caller's limit. Raised as soon as the
 * limit is crossed, so a decompression bomb never inflates whole.
 */
export function tooLarge(name: string, maxBytes: number, cause?: unknown): ConnectError {
  return new ConnectError(
    `${name}: decompressed message is larger than the limit of ${maxBytes} bytes`,
    Code.ResourceExhausted,
    { cause },
  );
}

/**
 * The error for input that is not valid in the format. It is `invalid_argument`
 * whichever end reads it; a client runtime that reads a corrupt response may
 * report it under its own code (Connect peers use `internal` there).
 */
export function corrupt(name: string, cause: unknown): ConnectError {
  const detail = cause instanceof Error && cause.message.length > 0 ? `: ${cause.message}` : "";
  return new ConnectError(`${name}: invalid compressed data${detail}`, Code.InvalidArgument, {
    cause,
  });
}

/** The error for a compressor that failed, which only a bug or exhausted memory explains. */
export function compressFailed(name: string, cause: unknown): ConnectError {
  return new ConnectError(`${name}: compression failed`, Code.Internal, { cause });
}

/** The error for an algorithm that this runtime cannot run. */
export function notAvailable(name: string, what: string): ConnectError {
  return new ConnectError(`${name}: ${what} is not available in this runtime`, Code.Unimplemented);
}
