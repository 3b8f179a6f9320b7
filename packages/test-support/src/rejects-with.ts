import { Code, ConnectError } from "@connect-ts/protocol";
import * as assert from "uvu/assert";

/** Awaits `promise`, expecting it to reject with a ConnectError of `code`; returns the error. */
export async function rejectsWith(promise: Promise<unknown>, code: Code): Promise<ConnectError> {
  let error: unknown;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  assert.ok(error !== undefined, `expected a rejection with ${Code[code]}, got a result`);
  assert.instance(error, ConnectError, String(error));
  const ce = error as ConnectError;
  // By name, so that a failure reads "Unavailable" rather than "14".
  assert.is(Code[ce.code], Code[code], ce.message);
  return ce;
}
