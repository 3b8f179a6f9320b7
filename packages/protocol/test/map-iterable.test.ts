import { test } from "uvu";
import * as assert from "uvu/assert";
import { mapIterable } from "../src/map-iterable.js";

/** A source of `values` that logs how it is driven. */
function source(values: number[], log: string[], failAt?: number): AsyncIterable<number> {
  return {
    [Symbol.asyncIterator]() {
      log.push("open");
      let i = 0;
      return {
        async next() {
          if (i === failAt) throw new Error("source broke");
          return i < values.length
            ? { done: false, value: values[i++]! }
            : { done: true, value: undefined };
        },
        async return() {
          log.push("return");
          return { done: true, value: undefined };
        },
      };
    },
  };
}

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of it) out.push(v);
  return out;
}

test("maps every value in order, sync and async mappers alike; opens the source lazily", async () => {
  const log: string[] = [];
  const mapped = mapIterable(source([1, 2, 3], log), (v) => v * 10);
  assert.equal(log, [], "nothing opened before the first read");
  assert.equal(await all(mapped), [10, 20, 30]);
  assert.equal(log, ["open"], "a source that ends is not closed");
  const slow = mapIterable(source([1, 2, 3], log), (v) => Promise.resolve(v + 1));
  assert.equal(await all(slow), [2, 3, 4]);
});

test("breaking out closes the source; later reads are done", async () => {
  const log: string[] = [];
  const it = mapIterable(source([1, 2, 3], log), (v) => v)[Symbol.asyncIterator]();
  assert.equal(await it.next(), { done: false, value: 1 });
  await it.return?.();
  assert.equal(log, ["open", "return"]);
  assert.equal(await it.next(), { done: true, value: undefined });
});

test("a failing mapper, sync or async, closes the source and ends with its error", async () => {
  for (const map of [
    (v: number) => {
      if (v === 2) throw new Error("map broke");
      return v;
    },
    (v: number) => (v === 2 ? Promise.reject(new Error("map broke")) : Promise.resolve(v)),
  ]) {
    const log: string[] = [];
    const it = mapIterable(source([1, 2, 3], log), map)[Symbol.asyncIterator]();
    assert.equal(await it.next(), { done: false, value: 1 });
    const err = await it.next().catch((e: unknown) => (e as Error).message);
    assert.is(err, "map broke");
    assert.equal(log, ["open", "return"]);
    assert.equal(await it.next(), { done: true, value: undefined });
  }
});

test("a failing source ends the iteration with its error, without closing it", async () => {
  const log: string[] = [];
  const it = mapIterable(source([1, 2, 3], log, 1), (v) => v)[Symbol.asyncIterator]();
  assert.equal(await it.next(), { done: false, value: 1 });
  const err = await it.next().catch((e: unknown) => (e as Error).message);
  assert.is(err, "source broke");
  assert.equal(log, ["open"]);
  assert.equal(await it.next(), { done: true, value: undefined });
});

test.run();
