import { Code, ConnectError, createClient, type Interceptor } from "@connect-ts/protocol";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { retry } from "../src/index.js";
import { EchoService, echoSetup, refusingFirst } from "./support/echo.js";

const fast = { initialBackoffMs: 1, maxBackoffMs: 5 };

async function codeOf(promise: Promise<unknown>): Promise<Code | undefined> {
  try {
    await promise;
    return undefined;
  } catch (e) {
    assert.instance(e, ConnectError);
    return (e as ConnectError).code;
  }
}

test("unary: unavailable twice, then an answer on the third attempt", async () => {
  const { client, seen } = echoSetup({ interceptors: [retry(fast)] }, { failFirst: 2 });
  const res = await client.echo({ text: "hi" });
  assert.is(res.text, "hi");
  assert.is(seen.calls, 3);
});

test("unary: gives up after maxAttempts with the last error", async () => {
  const { client, seen } = echoSetup(
    { interceptors: [retry({ ...fast, maxAttempts: 4 })] },
    { failFirst: 10 },
  );
  assert.is(await codeOf(client.echo({ text: "x" })), Code.Unavailable);
  assert.is(seen.calls, 4);
});

test("unary: a code not in the list is not retried", async () => {
  const { client, seen } = echoSetup({ interceptors: [retry(fast)] });
  assert.is(await codeOf(client.echo({ failWith: "invalid_argument" })), Code.InvalidArgument);
  assert.is(seen.calls, 1);
});

test("unary: the codes option replaces the default list", async () => {
  const { client, seen } = echoSetup(
    { interceptors: [retry({ ...fast, codes: [Code.ResourceExhausted] })] },
    { failFirst: 1, failCode: Code.ResourceExhausted },
  );
  assert.is((await client.echo({ text: "ok" })).text, "ok");
  assert.is(seen.calls, 2);
  const other = echoSetup(
    { interceptors: [retry({ ...fast, codes: [Code.ResourceExhausted] })] },
    { failFirst: 1 },
  );
  assert.is(await codeOf(other.client.echo({ text: "x" })), Code.Unavailable);
  assert.is(other.seen.calls, 1);
});

test("unary: shouldRetry can veto", async () => {
  const asked: number[] = [];
  const { client, seen } = echoSetup(
    {
      interceptors: [
        retry({
          ...fast,
          shouldRetry: (_e, attempt, req) => {
            asked.push(attempt);
            return req.method.name !== "Echo";
          },
        }),
      ],
    },
    { failFirst: 5 },
  );
  assert.is(await codeOf(client.echo({})), Code.Unavailable);
  assert.is(seen.calls, 1);
  assert.equal(asked, [1]);
});

test("backoff grows by the multiplier (no jitter)", async () => {
  const { client } = echoSetup(
    {
      interceptors: [retry({ maxAttempts: 3, initialBackoffMs: 40, multiplier: 2, jitter: 0 })],
    },
    { failFirst: 2 },
  );
  const started = performance.now();
  await client.echo({ text: "slow" });
  const ms = performance.now() - started;
  // 40 ms, then 80 ms.
  assert.ok(ms >= 115, `waited ${ms.toFixed(0)} ms`);
  assert.ok(ms < 1000, `waited ${ms.toFixed(0)} ms`);
});

test("jitter takes a random share off the wait; maxBackoffMs caps it", async () => {
  const { client } = echoSetup(
    {
      interceptors: [
        retry({
          maxAttempts: 3,
          initialBackoffMs: 2000,
          maxBackoffMs: 4000,
          jitter: 1,
          random: () => 0.99,
        }),
      ],
    },
    { failFirst: 2 },
  );
  const started = performance.now();
  await client.echo({ text: "j" });
  // 1% of 2000 ms and 1% of 4000 ms: well under a second in all.
  assert.ok(performance.now() - started < 500);
});

test("cancelling during a wait ends the call at once with canceled", async () => {
  const { client, seen } = echoSetup(
    { interceptors: [retry({ initialBackoffMs: 10_000, jitter: 0 })] },
    { failFirst: 5 },
  );
  const controller = new AbortController();
  const started = performance.now();
  setTimeout(() => controller.abort(), 50);
  assert.is(await codeOf(client.echo({}, { signal: controller.signal })), Code.Canceled);
  assert.ok(performance.now() - started < 2000);
  assert.is(seen.calls, 1);
});

test("a wait that would outlast the timeout is not started: the last error comes back", async () => {
  const { client, seen } = echoSetup(
    { interceptors: [retry({ initialBackoffMs: 5_000, jitter: 0 })] },
    { failFirst: 5 },
  );
  const started = performance.now();
  assert.is(await codeOf(client.echo({}, { timeoutMs: 1000 })), Code.Unavailable);
  assert.ok(performance.now() - started < 900);
  assert.is(seen.calls, 1);
});

test("waits that fit in the timeout are taken", async () => {
  const { client, seen } = echoSetup(
    { interceptors: [retry({ initialBackoffMs: 20, jitter: 0 })] },
    { failFirst: 1 },
  );
  assert.is((await client.echo({ text: "in time" }, { timeoutMs: 2000 })).text, "in time");
  assert.is(seen.calls, 2);
});

test("client streams are not retried (a request stream cannot be replayed)", async () => {
  const { transport } = echoSetup();
  const refusing = refusingFirst(transport, 1);
  const client = createClient(EchoService, refusing, { interceptors: [retry(fast)] });
  assert.is(await codeOf(client.echoClient([{ text: "a" }])), Code.Unavailable);
  assert.is(refusing.attempts, 1);
});

test("server streams are retried while no response has arrived", async () => {
  const { transport } = echoSetup();
  const refusing = refusingFirst(transport, 2);
  const client = createClient(EchoService, refusing, { interceptors: [retry(fast)] });
  const got: number[] = [];
  for await (const r of client.echoServer({ text: "s", count: 3 })) got.push(r.index);
  assert.equal(got, [0, 1, 2]);
  assert.is(refusing.attempts, 3);
});

test("server streams are not retried once the response has started", async () => {
  // The handler fails inside the stream: headers are already in when the error arrives.
  const { client, seen } = echoSetup({ interceptors: [retry(fast)] }, { failFirst: 1 });
  const stream = client.echoServer({ text: "s", count: 2 });
  let code: Code | undefined;
  try {
    for await (const _ of stream) {
      // drain
    }
  } catch (e) {
    code = (e as ConnectError).code;
  }
  assert.is(code, Code.Unavailable);
  assert.is(seen.calls, 1);
});

test("each attempt starts from the caller's headers", async () => {
  const stamp: Interceptor = (next) => async (req) => {
    req.header.append("x-stamp", "1");
    return next(req);
  };
  const { client, seen } = echoSetup({ interceptors: [retry(fast), stamp] }, { failFirst: 2 });
  await client.echo({ text: "h" }, { headers: { "x-call": "c" } });
  assert.is(seen.headers.length, 3);
  for (const h of seen.headers) {
    assert.is(h["x-stamp"], "1");
    assert.is(h["x-call"], "c");
  }
});

test("on a server it does nothing", async () => {
  const { client, seen } = echoSetup({}, { failFirst: 1, interceptors: [retry(fast)] });
  assert.is(await codeOf(client.echo({})), Code.Unavailable);
  assert.is(seen.calls, 1);
});

test("grpc-retry-pushback-ms from the server sets the wait, or stops retrying", async () => {
  const pushing = (value: string): Interceptor => {
    let calls = 0;
    return () => async () => {
      calls++;
      if (calls === 1) {
        throw new ConnectError("busy", Code.Unavailable, {
          metadata: { "grpc-retry-pushback-ms": value },
        });
      }
      throw new ConnectError("still busy", Code.Unavailable);
    };
  };
  for (const protocol of ["connect", "grpc"] as const) {
    // 150 ms asked for, against a computed wait of 1 ms.
    const slow = echoSetup(
      { protocol, interceptors: [retry({ ...fast, maxAttempts: 2 })] },
      {
        interceptors: [pushing("150")],
      },
    );
    const started = performance.now();
    assert.is(await codeOf(slow.client.echo({})), Code.Unavailable);
    const ms = performance.now() - started;
    assert.ok(ms >= 140, `${protocol}: waited ${ms.toFixed(0)} ms`);
    // A negative value: no second attempt, so no "still busy".
    const stop = echoSetup(
      { protocol, interceptors: [retry({ ...fast, maxAttempts: 5 })] },
      {
        interceptors: [pushing("-1")],
      },
    );
    const err = await stop.client.echo({}).catch((e) => e);
    assert.is((err as ConnectError).rawMessage, "busy", protocol);
  }
});

test("bad options are refused when the interceptor is made", () => {
  assert.throws(() => retry({ maxAttempts: 0 }), RangeError);
  assert.throws(() => retry({ maxAttempts: 1.5 }), RangeError);
  assert.throws(() => retry({ initialBackoffMs: -1 }), RangeError);
  assert.throws(() => retry({ multiplier: Number.NaN }), RangeError);
});

test.run();
