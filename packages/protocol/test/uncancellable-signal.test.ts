import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  Code,
  ConnectError,
  createMemoryTransport,
  createRouter,
  type HttpRequest,
  type Interceptor,
  RpcClient,
  type Transport,
} from "../src/index.js";
import { TestService } from "./gen/testpb/v1/test_pb.js";
import { testService } from "./support/test-service.js";

const M = TestService.method;

/**
 * The memory transport, offering a signal for calls nobody can cancel the way
 * the HTTP transports do, and recording the signal of every request.
 */
function offeringTransport(offered: AbortSignal) {
  const inner = createMemoryTransport(createRouter([testService]));
  const signals: AbortSignal[] = [];
  const transport: Transport = {
    baseUrl: inner.baseUrl,
    httpVersion: inner.httpVersion,
    fullDuplex: inner.fullDuplex,
    uncancellableSignal: offered,
    request(request: HttpRequest) {
      signals.push(request.signal);
      return inner.request(request);
    },
    close: () => inner.close(),
  };
  return { transport, signals };
}

test("calls without signal or timeout travel on the transport's offered signal", async () => {
  const offered = new AbortController().signal;
  const { transport, signals } = offeringTransport(offered);
  const client = new RpcClient(transport, { protocol: "connect" });
  assert.is((await client.unary(M.unary, { text: "a" })).text, "a");
  const out = await client.callUnary(M.unary, { text: "b" });
  assert.is(out.message?.text, "b");
  const summary = await client.clientStream(M.clientStream, [{ text: "x" }, { text: "y" }]);
  assert.is(summary.text, "x,y");
  assert.is(signals.length, 3);
  for (const signal of signals) assert.is(signal, offered);
});

test("every protocol uses the offered signal for calls nobody can cancel", async () => {
  for (const protocol of ["grpc", "grpc-web"] as const) {
    const offered = new AbortController().signal;
    const { transport, signals } = offeringTransport(offered);
    const client = new RpcClient(transport, { protocol });
    assert.is((await client.unary(M.unary, { text: protocol })).text, protocol);
    assert.is(signals[0], offered, protocol);
  }
});

test("a timeout, a caller's signal or a stream gets a signal of its own, which still cancels", async () => {
  const offered = new AbortController().signal;
  const { transport, signals } = offeringTransport(offered);
  const client = new RpcClient(transport, { protocol: "connect" });
  await client.unary(M.unary, { text: "t" }, { timeoutMs: 5000 });
  const controller = new AbortController();
  const pending = client.unary(
    M.unary,
    { text: "s", delayMs: 5000 },
    { signal: controller.signal },
  );
  controller.abort();
  const err = await pending.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.instance(err, ConnectError);
  assert.is((err as ConnectError).code, Code.Canceled);
  const late = await client.unary(M.unary, { text: "d", delayMs: 5000 }, { timeoutMs: 30 }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.is((late as ConnectError).code, Code.DeadlineExceeded);
  for await (const _ of client.serverStream(M.serverStream, { text: "r", count: 1 })) {
    // drain
  }
  assert.is(signals.length, 4);
  for (const signal of signals) assert.is.not(signal, offered);
});

test("with interceptors, calls get signals of their own: an interceptor might keep a listener", async () => {
  const offered = new AbortController().signal;
  const { transport, signals } = offeringTransport(offered);
  const seen: AbortSignal[] = [];
  const watch: Interceptor = (next) => (req) => {
    seen.push(req.signal);
    return next(req);
  };
  const client = new RpcClient(transport, { protocol: "connect", interceptors: [watch] });
  await client.unary(M.unary, { text: "i" });
  await client.unary(M.unary, { text: "j" });
  assert.is(signals.length, 2);
  assert.is.not(signals[0], offered);
  assert.is.not(signals[0], signals[1]);
  assert.is(seen[0], signals[0]);
});

test("a transport offering something that is not a live signal is ignored", async () => {
  const aborted = AbortSignal.abort();
  const { transport, signals } = offeringTransport(aborted);
  const client = new RpcClient(transport, { protocol: "connect" });
  assert.is((await client.unary(M.unary, { text: "k" })).text, "k");
  assert.is.not(signals[0], aborted);
  assert.not.ok(signals[0]?.aborted);
});

test.run();
