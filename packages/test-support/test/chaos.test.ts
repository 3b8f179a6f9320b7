import { test } from "uvu";
import * as assert from "uvu/assert";
import { type Behaviours, pickBehaviour, seededRandom } from "../src/chaos.js";

test("the same seed gives the same numbers in [0, 1), another seed others", () => {
  const a = seededRandom(42);
  const b = seededRandom(42);
  const c = seededRandom(7);
  const first = Array.from({ length: 100 }, () => a());
  assert.equal(
    Array.from({ length: 100 }, () => b()),
    first,
  );
  assert.not.equal(
    Array.from({ length: 100 }, () => c()),
    first,
  );
  assert.ok(first.every((x) => x >= 0 && x < 1));
});

test("a roll lands on the behaviour whose share of 100 covers it", () => {
  const behaviours: Behaviours = [
    ["ok", 50],
    ["slow", 30],
    ["hang", 10],
  ];
  assert.is(pickBehaviour(behaviours, 0), "ok");
  assert.is(pickBehaviour(behaviours, 0.49), "ok");
  assert.is(pickBehaviour(behaviours, 0.5), "slow");
  assert.is(pickBehaviour(behaviours, 0.85), "hang");
  // Past the listed weights.
  assert.is(pickBehaviour(behaviours, 0.95), "ok");
});

test.run();
