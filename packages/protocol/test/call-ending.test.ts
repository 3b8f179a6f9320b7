import * as assert from "uvu/assert";
import { test } from "uvu";
import { deadlineAware } from "../src/call-signal.js";
import { Code, ConnectError } from "../src/index.js";
import { TestService } from "./gen/testpb/v1/test_pb.js";
import { setup } from "./support/setup.js";

test("an aborted stream delivers none of the messages already buffered", async () => {
  const client = setup({}, {}, "1.1");
  const controller = new AbortController();
  const out = client.callServerStream(
    TestService.method.serverStream,
    { text: "x", count: 5 },
    { signal: controller.signal },
  );
  // Over the half-duplex memory transport the whole response is there at once.
  await out.responseHeaders();
  const seen: number[] = [];
  for await (const message of out) {
    seen.push(message.index);
    controller.abort();
  }
  assert.equal(seen, [0]);
  assert.is(out.error?.code, Code.Canceled);
});

test("an abort after the last message still ends the stream as canceled", async () => {
  const client = setup({}, {}, "1.1");
  const controller = new AbortController();
  const out = client.callServerStream(
    TestService.method.serverStream,
    { text: "x", count: 1 },
    { signal: controller.signal },
  );
  const seen: number[] = [];
  for await (const message of out) {
    seen.push(message.index);
    controller.abort();
  }
  assert.equal(seen, [0]);
  assert.is(out.error?.code, Code.Canceled);
});

const canceledByPeer = new ConnectError("stream reset by peer", Code.Canceled);

test("a peer's cancel at the deadline reads as deadline_exceeded", () => {
  const call = {
    signal: new AbortController().signal,
    abort() {},
    cleanup() {},
    deadline: Date.now() - 1,
  };
  const err = deadlineAware(canceledByPeer, call);
  assert.is(err.code, Code.DeadlineExceeded);
  assert.is(err.cause, canceledByPeer);
});

test("a peer's cancel well before the deadline stays canceled", () => {
  const call = {
    signal: new AbortController().signal,
    abort() {},
    cleanup() {},
    deadline: Date.now() + 5000,
  };
  assert.is(deadlineAware(canceledByPeer, call), canceledByPeer);
  const noDeadline = { signal: new AbortController().signal, abort() {}, cleanup() {} };
  assert.is(deadlineAware(canceledByPeer, noDeadline), canceledByPeer);
});

test("other codes near the deadline are left alone", () => {
  const call = {
    signal: new AbortController().signal,
    abort() {},
    cleanup() {},
    deadline: Date.now(),
  };
  const unavailable = new ConnectError("gone", Code.Unavailable);
  assert.is(deadlineAware(unavailable, call), unavailable);
});

test.run();
