import { Code, ConnectError, type HandlerContext, registerService } from "@connect-ts/protocol";
import { TestService } from "../gen/servertest/v1/test_pb.js";

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
function wait(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
}

function echoHeaders(ctx: HandlerContext): void {
  const value = ctx.requestHeaders.get("x-echo");
  if (value !== undefined) {
    ctx.responseHeaders.set("x-echo", value);
    ctx.responseTrailers.set("x-echo-trailer", value);
  }
}

/** What the test service saw, for the tests to assert on. */
export interface Observed {
  /** The abort reasons of calls whose signal aborted. */
  aborts: unknown[];
  /** Calls of Count that ended (however they ended). */
  countsEnded: number;
  /** How calls of Sum ended: "ok", or the code of the error reading the requests. */
  sumsEnded?: string[];
}

/** The test service's implementation, recording what it saw into `observed`. */
export function testService(observed: Observed = { aborts: [], countsEnded: 0 }) {
  const watch = (ctx: HandlerContext) =>
    ctx.signal.addEventListener("abort", () => observed.aborts.push(ctx.signal.reason), {
      once: true,
    });
  const echo = async (
    req: { text: string; failCode: number; delayMs: number; payload: Uint8Array },
    ctx: HandlerContext,
  ) => {
    watch(ctx);
    echoHeaders(ctx);
    await wait(req.delayMs, ctx.signal);
    if (req.failCode !== 0) {
      throw new ConnectError(`failed as asked: ${req.text}`, req.failCode as Code, {
        metadata: { "x-failed": "yes" },
      });
    }
    return {
      text: req.text,
      payload: req.payload,
      timeRemainingMs: BigInt(ctx.timeRemaining() ?? -1),
    };
  };
  return registerService(TestService, {
    echo,
    echoGet: echo,
    async *count(req, ctx) {
      watch(ctx);
      echoHeaders(ctx);
      try {
        for (let i = 1; i <= req.count; i++) {
          await wait(req.delayMs, ctx.signal);
          yield { number: i };
        }
        if (req.failCode !== 0) {
          throw new ConnectError("failed after the messages", req.failCode as Code);
        }
      } finally {
        observed.countsEnded++;
      }
    },
    async sum(requests, ctx) {
      watch(ctx);
      let sum = 0n;
      let messages = 0;
      try {
        for await (const r of requests) {
          sum += r.number;
          messages++;
        }
      } catch (e) {
        observed.sumsEnded?.push(String(ConnectError.from(e).code));
        throw e;
      }
      observed.sumsEnded?.push("ok");
      return { sum, messages };
    },
    async *chat(requests, ctx) {
      watch(ctx);
      echoHeaders(ctx);
      for await (const r of requests) {
        if (r.text === "fail") throw new ConnectError("asked to fail", Code.Aborted);
        yield { text: `re: ${r.text}` };
      }
    },
  });
}

export { TestService };
