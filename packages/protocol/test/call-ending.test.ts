import * as assert from "uvu/assert";
import { test } from "uvu";
import { deadlineAware } from "../src/call-signal.js";
import {
  Code,
  ConnectError,
  createHttpBody,
  createMemoryTransport,
  createRouter,
  RpcClient,
  type Transport,
} from "../src/index.js";
import { testService } from "./support/test-service.js";
import { TestService } from "./gen/testpb/v1/test_pb.js";

/**
 * A transport that, like a real HTTP/1.1 client, has the whole response in
 * hand before the caller reads it, and whose body no longer listens to the
 * call's signal once complete.
 */
function bufferingTransport(): Transport {
  const inner = createMemoryTransport(createRouter([testService]), { httpVersion: "1.1" });
  return {
    ...inner,
    request: async (req) => {
      const res = await inner.request(req);
      const bytes = await res.body.readAll(1 << 20);
      return { ...res, body: createHttpBody(bytes) };
    },
    close: () => inner.close(),
  };
}

test("an aborted stream delivers none of the messages already buffered", async () => {
  const client = new RpcClient(bufferingTransport());
  const controller = new AbortController();
  const out = client.callServerStream(
    TestService.method.serverStream,
    { text: "x", count: 5 },
    { signal: controller.signal },
  );
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
  const client = new RpcClient(bufferingTransport());
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

test("a reader that stops before its first read cancels the call at once", async () => {
  const client = new RpcClient(createMemoryTransport(createRouter([testService])));
  const out = client.callServerStream(TestService.method.serverStream, {
    text: "x",
    count: 2,
    delayMs: 5000,
  });
  const started = Date.now();
  await out[Symbol.asyncIterator]().return?.();
  await out.responseHeaders();
  assert.is(out.error?.code, Code.Canceled);
  assert.ok(Date.now() - started < 2000, "not left to run until its first message");
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
