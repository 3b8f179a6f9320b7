import {
  ConnectError,
  type HandlerContext,
  registerService,
  type ServiceImpl,
} from "../../src/index.js";
import { type EchoRequest, RetryInfoSchema, TestService } from "../gen/testpb/v1/test_pb.js";

/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function fail(req: EchoRequest): never {
  throw new ConnectError(req.text, req.failCode, {
    metadata: { "x-error-meta": "yes" },
    details: [{ desc: RetryInfoSchema, value: { retryAfterMs: 42, reason: req.text } }],
  });
}

function echoHeaders(ctx: HandlerContext): void {
  const v = ctx.requestHeaders.get("x-in");
  if (v !== undefined) ctx.responseHeaders.set("x-echo", v);
  ctx.responseTrailers.set("x-trailer", "done");
}

/** Calls seen by the implementation, for tests that check what the server observed. */
export const observed: { signals: AbortSignal[]; deadlines: (number | undefined)[] } = {
  signals: [],
  deadlines: [],
};

/** The implementation of the test service used throughout the tests. */
export const testImpl: Omit<ServiceImpl<typeof TestService>, "missing"> = {
  async unary(req, ctx) {
    observed.signals.push(ctx.signal);
    observed.deadlines.push(ctx.deadline);
    echoHeaders(ctx);
    if (req.delayMs > 0) await sleep(req.delayMs, ctx.signal);
    if (req.failCode !== 0) fail(req);
    return { text: req.text, payload: req.payload, extra: req.extra };
  },
  async *serverStream(req, ctx) {
    observed.signals.push(ctx.signal);
    echoHeaders(ctx);
    for (let i = 0; i < req.count; i++) {
      if (req.delayMs > 0) await sleep(req.delayMs, ctx.signal);
      yield { text: req.text, index: i };
    }
    if (req.failCode !== 0) fail(req);
  },
  async clientStream(reqs, ctx) {
    echoHeaders(ctx);
    const texts: string[] = [];
    for await (const req of reqs) {
      if (req.failCode !== 0) fail(req);
      texts.push(req.text);
    }
    return { text: texts.join(","), index: texts.length };
  },
  async *bidi(reqs, ctx) {
    observed.signals.push(ctx.signal);
    echoHeaders(ctx);
    let i = 0;
    for await (const req of reqs) {
      if (req.failCode !== 0) fail(req);
      if (req.delayMs > 0) await sleep(req.delayMs, ctx.signal);
      yield { text: req.text, index: i++ };
    }
  },
  async lookup(req, ctx) {
    echoHeaders(ctx);
    ctx.responseHeaders.set("x-method", ctx.requestHeaders.get("x-seen-method") ?? "");
    return { text: `found ${req.text}` };
  },
};

/** The registration of the test service. */
export const testService = registerService(TestService, testImpl);
