import { test } from "uvu";
import * as assert from "uvu/assert";

// Runs last (files run in name order): every server, connection, session and
// timer the suite opened must be gone by now. Its module is loaded with all
// the others, before any test runs, so it also sees every process warning
// (listener leaks, deprecations) the suite caused.

const warnings: string[] = [];
const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
process.on("warning", onWarning);

// Likewise every promise rejection nobody handled (Node would crash on the
// first; collecting them names them all).
const unhandled: string[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(String(reason));
process.on("unhandledRejection", onUnhandled);

const allowed = new Set([
  // The test runner's own output streams.
  "TTYWrap",
  "PipeWrap",
  "FSReqCallback",
]);

test("no sockets, servers, sessions or timers remain open after the suite", async () => {
  // Closed handles are released on the next turns of the loop.
  let left: string[] = [];
  for (let i = 0; i < 50; i++) {
    left = process.getActiveResourcesInfo().filter((r) => !allowed.has(r));
    if (left.length === 0) break;
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.equal(left, [], `still open: ${left.join(", ")}`);
});

test("no process warnings (listener leaks, deprecations) during the suite", () => {
  process.off("warning", onWarning);
  assert.equal(warnings, []);
});

test("no unhandled promise rejections during the suite", () => {
  process.off("unhandledRejection", onUnhandled);
  assert.equal(unhandled, []);
});

test.run();
