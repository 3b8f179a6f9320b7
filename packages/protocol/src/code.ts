/**
 * The status codes of Connect and gRPC. The numbers are gRPC's; the string
 * names are the snake_case forms that the Connect protocol puts on the wire.
 */
export enum Code {
  /** The operation was cancelled, typically by the caller. */
  Canceled = 1,
  /** An unknown error; also used for errors that carry no code. */
  Unknown = 2,
  /** The client sent an argument that is invalid whatever the state of the system. */
  InvalidArgument = 3,
  /** The deadline passed before the operation could complete. */
  DeadlineExceeded = 4,
  /** A requested entity was not found. */
  NotFound = 5,
  /** The entity the client tried to create already exists. */
  AlreadyExists = 6,
  /** The caller may not run the operation. */
  PermissionDenied = 7,
  /** A resource (quota, memory, message size) has been exhausted. */
  ResourceExhausted = 8,
  /** The system is not in a state the operation requires. */
  FailedPrecondition = 9,
  /** The operation was aborted, for example by a concurrency conflict. */
  Aborted = 10,
  /** The operation was attempted past the valid range. */
  OutOfRange = 11,
  /** The operation is not implemented or not supported. */
  Unimplemented = 12,
  /** An invariant expected by the system is broken. */
  Internal = 13,
  /** The service is unavailable right now; retrying may help. */
  Unavailable = 14,
  /** Unrecoverable data loss or corruption. */
  DataLoss = 15,
  /** The request lacks valid authentication credentials. */
  Unauthenticated = 16,
}

const names: Record<Code, string> = {
  [Code.Canceled]: "canceled",
  [Code.Unknown]: "unknown",
  [Code.InvalidArgument]: "invalid_argument",
  [Code.DeadlineExceeded]: "deadline_exceeded",
  [Code.NotFound]: "not_found",
  [Code.AlreadyExists]: "already_exists",
  [Code.PermissionDenied]: "permission_denied",
  [Code.ResourceExhausted]: "resource_exhausted",
  [Code.FailedPrecondition]: "failed_precondition",
  [Code.Aborted]: "aborted",
  [Code.OutOfRange]: "out_of_range",
  [Code.Unimplemented]: "unimplemented",
  [Code.Internal]: "internal",
  [Code.Unavailable]: "unavailable",
  [Code.DataLoss]: "data_loss",
  [Code.Unauthenticated]: "unauthenticated",
};

const byName = new Map<string, Code>(
  (Object.entries(names) as [string, string][]).map(([num, name]) => [name, Number(num) as Code]),
);

/** Returns the Connect wire name of a code, e.g. `"invalid_argument"`. */
export function codeToString(code: Code): string {
  return names[code] ?? "unknown";
}

/** Parses a Connect wire name; returns `undefined` for anything that is not one of the 16 codes. */
export function codeFromString(name: string): Code | undefined {
  return byName.get(name);
}

/** Tells whether a number is one of the 16 codes (0, "ok", is not an error code). */
export function isCode(value: number): value is Code {
  return Number.isInteger(value) && value >= 1 && value <= 16;
}
