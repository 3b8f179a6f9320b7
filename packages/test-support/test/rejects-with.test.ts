import { Code, ConnectError } from "@connect-ts/protocol";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { rejectsWith } from "../src/rejects-with.js";

/** Whether `promise` rejects with an assertion failure, the way a test would fail. */
async function fails(promise: Promise<unknown>): Promise<boolean> {
  return promise.then(
    () => false,
    (e: unknown) => e instanceof Error && e.name === "Assertion",
  );
}

test("returns the error when the code matches", async () => {
  const error = await rejectsWith(
    Promise.reject(new ConnectError("gone", Code.Unavailable)),
    Code.Unavailable,
  );
  assert.is(error.rawMessage, "gone");
});

test("fails on another code, a plain Error, or a result", async () => {
  const wrongCode = Promise.reject(new ConnectError("x", Code.Internal));
  assert.ok(await fails(rejectsWith(wrongCode, Code.Unavailable)));
  assert.ok(await fails(rejectsWith(Promise.reject(new Error("x")), Code.Unavailable)));
  assert.ok(await fails(rejectsWith(Promise.resolve(1), Code.Unavailable)));
});

test.run();
