import { test } from "uvu";
import * as assert from "uvu/assert";
import { Channel } from "../src/channel.js";

test("values pushed before and while iterating come out in order, and end() finishes", async () => {
  const channel = new Channel<number>();
  channel.push(1);
  const seen: number[] = [];
  const done = (async () => {
    for await (const value of channel) seen.push(value);
  })();
  await Promise.resolve();
  channel.push(2);
  channel.push(3);
  channel.end();
  await done;
  assert.equal(seen, [1, 2, 3]);
  assert.is(channel.taken, 3);
});

test("a consumer waiting on an empty channel finishes when it ends", async () => {
  const channel = new Channel<string>();
  const next = channel[Symbol.asyncIterator]().next();
  channel.end();
  assert.equal(await next, { done: true, value: undefined });
  assert.is(channel.taken, 0);
});

test("breaking out of the loop ends the channel", async () => {
  const channel = new Channel<number>();
  channel.push(1);
  channel.push(2);
  for await (const _ of channel) break;
  const after = await channel[Symbol.asyncIterator]().next();
  // What was queued is still there to take, but nothing waits forever.
  assert.equal(after, { done: false, value: 2 });
  assert.equal(await channel[Symbol.asyncIterator]().next(), { done: true, value: undefined });
});

test.run();
