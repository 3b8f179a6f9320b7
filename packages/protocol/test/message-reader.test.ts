import { test } from "uvu";
import * as assert from "uvu/assert";
import { Code, ConnectError } from "../src/index.js";
import { type FrameSteps, MessageReader } from "../src/message-reader.js";
import { envelopes } from "./support/raw.js";

/** A body that yields `chunks` and records whether it was released early. */
class Body implements AsyncIterable<Uint8Array> {
  returned = false;
  constructor(readonly chunks: Uint8Array[]) {}
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    let i = 0;
    return {
      next: async () =>
        i < this.chunks.length
          ? { done: false, value: this.chunks[i++]! }
          : { done: true, value: undefined },
      return: async () => {
        this.returned = true;
        return { done: true, value: undefined };
      },
    };
  }
}

/** A body of plain frames with the given payloads. */
function frames(...payloads: number[][]): Uint8Array {
  return envelopes(...payloads.map((p): [number, Uint8Array] => [0, new Uint8Array(p)]));
}

/** Steps that read each frame's first byte, skip frames whose first byte is 0, and log what happens. */
function steps(log: string[], endError?: Error): FrameSteps<number> {
  return {
    frame: (env) => (env.data[0] === 0 ? undefined : env.data[0]),
    end() {
      log.push("end");
      if (endError !== undefined) throw endError;
    },
    fail(e) {
      log.push("fail");
      return new ConnectError(`wrapped: ${(e as Error).message}`, Code.Internal);
    },
    release: () => log.push("release"),
  };
}

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of it) out.push(v);
  return out;
}

test("reads frames split across chunks, skips the ones without a message, ends once", async () => {
  const bytes = frames([1], [0], [2, 9], [3]);
  const log: string[] = [];
  // Every split: a frame spread over chunks, and several frames in one chunk.
  for (let cut = 0; cut <= bytes.length; cut++) {
    log.length = 0;
    const body = new Body([bytes.subarray(0, cut), bytes.subarray(cut)]);
    const reader = new MessageReader(body, 100, Code.InvalidArgument, steps(log));
    assert.equal(await all(reader), [1, 2, 3], `cut at ${cut}`);
    assert.equal(log, ["end", "release"]);
    assert.is(body.returned, false);
    assert.equal(await reader.next(), { done: true, value: undefined });
  }
});

test("a truncated frame, an oversized one and a failing end reach the reader through fail", async () => {
  const log: string[] = [];
  const truncated = new MessageReader(
    new Body([frames([1]).subarray(0, 4)]),
    100,
    Code.InvalidArgument,
    steps(log),
  );
  const e1 = await truncated.next().catch((e: unknown) => e);
  assert.instance(e1, ConnectError);
  assert.match((e1 as Error).message, "wrapped:");
  assert.equal(log, ["fail", "release"]);
  assert.equal(await truncated.next(), { done: true, value: undefined }, "ended for good");

  log.length = 0;
  const big = new Body([frames([1, 2, 3, 4])]);
  const oversized = new MessageReader(big, 3, Code.InvalidArgument, steps(log));
  const e2 = await oversized.next().catch((e: unknown) => (e as ConnectError).message);
  assert.match(String(e2), "wrapped:");
  assert.is(big.returned, true, "the body is released when reading fails midway");

  log.length = 0;
  const badEnd = new MessageReader(
    new Body([frames([5])]),
    100,
    Code.Internal,
    steps(log, new Error("no status")),
  );
  assert.equal(await badEnd.next(), { done: false, value: 5 });
  const e3 = await badEnd.next().catch((e: unknown) => (e as Error).message);
  assert.is(e3, "[internal] wrapped: no status");
  assert.equal(log, ["end", "fail", "release"]);
});

test("return() releases the body and ends the reader", async () => {
  const log: string[] = [];
  const body = new Body([frames([1], [2], [3])]);
  const reader = new MessageReader(body, 100, Code.InvalidArgument, steps(log));
  for await (const v of reader) {
    assert.is(v, 1);
    break;
  }
  assert.is(body.returned, true);
  assert.equal(log, ["release"]);
  assert.equal(await reader.next(), { done: true, value: undefined });
});

test("overlapping reads are answered in order, and a frame may wait (decompression)", async () => {
  const body = new Body([frames([1], [2]), frames([3])]);
  const reader = new MessageReader(body, 100, Code.InvalidArgument, {
    frame: (env) =>
      new Promise<number>((resolve) => setTimeout(() => resolve(env.data[0]!), 4 - env.data[0]!)),
  });
  const reads = [reader.next(), reader.next(), reader.next(), reader.next()];
  const results = await Promise.all(reads);
  assert.equal(
    results.map((r) => r.value),
    [1, 2, 3, undefined],
  );
  assert.is(results[3]!.done, true);
});

test.run();
