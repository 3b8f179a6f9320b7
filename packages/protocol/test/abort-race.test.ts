import { getEventListeners } from "node:events";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { AbortRace, Code, ConnectError, raceAbort } from "../src/index.js";

test("AbortRace: many sequential races share one listener, removed on dispose", async () => {
  const ac = new AbortController();
  const race = new AbortRace(ac.signal);
  for (let i = 0; i < 10; i++) {
    assert.is(await race.race(Promise.resolve(i)), i);
    assert.ok(getEventListeners(ac.signal, "abort").length <= 1);
  }
  race.dispose();
  assert.is(getEventListeners(ac.signal, "abort").length, 0);
});

test("AbortRace: a pending race rejects at once with the reason as a ConnectError", async () => {
  const ac = new AbortController();
  const race = new AbortRace(ac.signal);
  const never = new Promise<number>(() => {});
  const p = race.race(never);
  ac.abort(new ConnectError("deadline", Code.DeadlineExceeded));
  try {
    await p;
    assert.unreachable();
  } catch (e) {
    assert.is((e as ConnectError).code, Code.DeadlineExceeded);
  }
  // Already aborted: rejects without waiting, with canceled for a plain reason.
  const ac2 = new AbortController();
  ac2.abort();
  try {
    await new AbortRace(ac2.signal).race(Promise.resolve(1));
    assert.unreachable();
  } catch (e) {
    assert.is((e as ConnectError).code, Code.Canceled);
  }
  try {
    await raceAbort(never, ac2.signal);
    assert.unreachable();
  } catch (e) {
    assert.is((e as ConnectError).code, Code.Canceled);
  }
});

test("AbortRace: a rejected promise passes its reason through", async () => {
  const race = new AbortRace(new AbortController().signal);
  try {
    await race.race(Promise.reject(new Error("x")));
    assert.unreachable();
  } catch (e) {
    assert.is((e as Error).message, "x");
  }
  race.dispose();
});

test.run();
