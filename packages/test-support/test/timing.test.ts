import { test } from "uvu";
import * as assert from "uvu/assert";
import { sleep, within } from "../src/timing.js";

test("within() passes a result through", async () => {
  assert.is(await within(Promise.resolve(7), 1000, "seven"), 7);
});

test("within() rejects, naming what took too long, when the promise is late", async () => {
  const error = await within(sleep(200), 10, "the nap").then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.instance(error, Error);
  assert.is((error as Error).message, "the nap: no result within 10 ms");
});

test("sleep() waits at least as long as asked", async () => {
  const started = performance.now();
  await sleep(30);
  // Timers may fire a little early by the clock's rounding, never much.
  assert.ok(performance.now() - started >= 25);
});

test.run();
