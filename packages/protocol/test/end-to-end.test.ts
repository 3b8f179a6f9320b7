import { getEventListeners } from "node:events";
import { create, createRegistry } from "@bufbuild/protobuf";
import { anyPack, anyUnpack, DurationSchema } from "@bufbuild/protobuf/wkt";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  type CodecName,
  Code,
  ConnectError,
  createClient,
  createMemoryTransport,
  createRouter,
} from "../src/index.js";
import { type EchoResponse, RetryInfoSchema, TestService } from "./gen/testpb/v1/test_pb.js";
import { setup } from "./support/setup.js";
import { testService } from "./support/test-service.js";

const M = TestService.method;

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of it) out.push(v);
  return out;
}

for (const codec of ["proto", "json"] as CodecName[]) {
  for (const httpVersion of ["2", "1.1"] as const) {
    const name = `${codec} over HTTP/${httpVersion}`;

    test(`${name}: unary with headers and trailers`, async () => {
      const client = setup({ codec }, {}, httpVersion);
      const out = await client.callUnary(
        M.unary,
        { text: "hi", payload: new Uint8Array([0, 255]) },
        { headers: { "x-in": "abc" } },
      );
      assert.is(out.error, undefined);
      assert.is(out.message?.text, "hi");
      assert.equal([...(out.message?.payload ?? [])], [0, 255]);
      assert.is(out.headers.get("x-echo"), "abc");
      assert.is(out.trailers.get("x-trailer"), "done");
      assert.is(out.headers.get("x-trailer"), undefined);
      const res = await client.unary(M.unary, { text: "again" });
      assert.is(res.text, "again");
    });

    test(`${name}: server stream`, async () => {
      const client = setup({ codec }, {}, httpVersion);
      const out = client.callServerStream(
        M.serverStream,
        { text: "s", count: 3 },
        { headers: { "x-in": "q" } },
      );
      const got = await collect(out);
      assert.equal(
        got.map((r) => r.index),
        [0, 1, 2],
      );
      assert.is(out.error, undefined);
      assert.is(out.headers.get("x-echo"), "q");
      assert.is(out.trailers.get("x-trailer"), "done");
      const hi = await collect(client.serverStream(M.serverStream, { text: "t", count: 2 }));
      assert.equal(
        hi.map((r) => r.text),
        ["t", "t"],
      );
    });

    test(`${name}: client stream`, async () => {
      const client = setup({ codec }, {}, httpVersion);
      async function* reqs() {
        yield { text: "a" };
        yield { text: "b" };
      }
      const res = await client.clientStream(M.clientStream, reqs());
      assert.is(res.text, "a,b");
      const out = await client.callClientStream(M.clientStream, [{ text: "x" }], {
        headers: { "x-in": "1" },
      });
      assert.is(out.message?.text, "x");
      assert.is(out.headers.get("x-echo"), "1");
      assert.is(out.trailers.get("x-trailer"), "done");
      const empty = await client.clientStream(M.clientStream, []);
      assert.is(empty.index, 0);
    });

    test(`${name}: bidi stream`, async () => {
      const client = setup({ codec }, {}, httpVersion);
      const got = await collect(
        client.bidiStream(M.bidi, [{ text: "1" }, { text: "2" }, { text: "3" }]),
      );
      assert.equal(
        got.map((r) => r.text),
        ["1", "2", "3"],
      );
    });

    test(`${name}: errors with details, code and metadata, every call kind`, async () => {
      const client = setup({ codec }, {}, httpVersion);
      const check = (err: ConnectError | undefined, code: Code) => {
        assert.instance(err, ConnectError);
        assert.is(err!.code, code);
        assert.is(err!.rawMessage, "bad thing");
        assert.is(err!.metadata.get("x-error-meta"), "yes");
        const [detail] = err!.findDetails(RetryInfoSchema);
        assert.is(detail?.retryAfterMs, 42);
        assert.is(detail?.reason, "bad thing");
      };
      const u = await client.callUnary(M.unary, { text: "bad thing", failCode: Code.NotFound });
      check(u.error, Code.NotFound);
      assert.is(u.message, undefined);
      assert.is(u.trailers.get("x-trailer"), "done");
      try {
        await client.unary(M.unary, { text: "bad thing", failCode: Code.AlreadyExists });
        assert.unreachable();
      } catch (e) {
        check(e as ConnectError, Code.AlreadyExists);
      }
      const s = client.callServerStream(M.serverStream, {
        text: "bad thing",
        count: 2,
        failCode: Code.Aborted,
      });
      assert.is((await collect(s)).length, 2);
      check(s.error, Code.Aborted);
      assert.is(s.trailers.get("x-trailer"), "done");
      try {
        await collect(
          client.serverStream(M.serverStream, { text: "bad thing", failCode: Code.DataLoss }),
        );
        assert.unreachable();
      } catch (e) {
        check(e as ConnectError, Code.DataLoss);
      }
      const c = await client.callClientStream(M.clientStream, [
        { text: "bad thing", failCode: Code.OutOfRange },
      ]);
      check(c.error, Code.OutOfRange);
      const b = client.callBidiStream(M.bidi, [
        { text: "ok" },
        { text: "bad thing", failCode: Code.Unavailable },
      ]);
      assert.is((await collect(b)).length, 1);
      check(b.error, Code.Unavailable);
    });
  }
}

test("methods without implementation answer unimplemented", async () => {
  const client = setup();
  const out = await client.callUnary(M.missing, {});
  assert.is(out.error?.code, Code.Unimplemented);
});

test("client deadline: unary ends with deadline_exceeded and the handler sees its signal abort", async () => {
  const client = setup();
  const started = Date.now();
  const out = await client.callUnary(M.unary, { text: "slow", delayMs: 5000 }, { timeoutMs: 50 });
  assert.is(out.error?.code, Code.DeadlineExceeded);
  assert.ok(Date.now() - started < 1000);
});

test("server sees the deadline from the timeout header", async () => {
  const { observed } = await import("./support/test-service.js");
  const client = setup();
  const before = Date.now();
  await client.unary(M.unary, { text: "x" }, { timeoutMs: 10_000 });
  const deadline = observed.deadlines.at(-1);
  assert.ok(
    deadline !== undefined && deadline >= before + 9_000 && deadline <= Date.now() + 10_000,
  );
});

test("client deadline: server stream ends promptly with deadline_exceeded", async () => {
  const client = setup();
  const out = client.callServerStream(
    M.serverStream,
    { text: "s", count: 100, delayMs: 20 },
    { timeoutMs: 100 },
  );
  const got = await collect(out);
  assert.ok(got.length < 100);
  assert.is(out.error?.code, Code.DeadlineExceeded);
});

test("abort signal cancels unary and streams with canceled", async () => {
  const client = setup();
  const ac = new AbortController();
  const p = client.callUnary(M.unary, { text: "slow", delayMs: 5000 }, { signal: ac.signal });
  setTimeout(() => ac.abort(), 20);
  assert.is((await p).error?.code, Code.Canceled);
  const ac2 = new AbortController();
  const s = client.callServerStream(
    M.serverStream,
    { count: 100, delayMs: 10 },
    { signal: ac2.signal },
  );
  let n = 0;
  for await (const _ of s) {
    if (++n === 3) ac2.abort();
  }
  assert.is(s.error?.code, Code.Canceled);
  const pre = new AbortController();
  pre.abort();
  try {
    await client.unary(M.unary, {}, { signal: pre.signal });
    assert.unreachable();
  } catch (e) {
    assert.is((e as ConnectError).code, Code.Canceled);
  }
});

test("breaking out of a stream cancels the call on the server", async () => {
  const { observed } = await import("./support/test-service.js");
  const client = setup();
  for await (const r of client.serverStream(M.serverStream, { count: 1000, delayMs: 5 })) {
    if (r.index === 2) break;
  }
  const signal = observed.signals.at(-1)!;
  await new Promise((r) => setTimeout(r, 20));
  assert.ok(signal.aborted);
  const out = client.callServerStream(M.serverStream, { count: 1000, delayMs: 5 });
  await out.responseHeaders();
  await out.close();
  assert.is(out.error, undefined);
});

test("bidi is full duplex over HTTP/2: a response arrives before the next request is sent", async () => {
  const client = setup({}, {}, "2");
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  async function* reqs() {
    yield { text: "first" };
    await gate;
    yield { text: "second" };
  }
  const out = client.callBidiStream(M.bidi, reqs());
  const it = out[Symbol.asyncIterator]();
  const first = await it.next();
  assert.is((first.value as EchoResponse).text, "first");
  release();
  const second = await it.next();
  assert.is((second.value as EchoResponse).text, "second");
  assert.ok((await it.next()).done);
  assert.is(out.error, undefined);
});

test("bidi over HTTP/1.1 sends the whole request stream before reading", async () => {
  const client = setup({}, {}, "1.1");
  const order: string[] = [];
  async function* reqs() {
    for (const t of ["a", "b", "c"]) {
      order.push(`send ${t}`);
      yield { text: t };
    }
  }
  for await (const r of client.bidiStream(M.bidi, reqs())) order.push(`recv ${r.text}`);
  assert.equal(order, ["send a", "send b", "send c", "recv a", "recv b", "recv c"]);
});

test("createClient builds a typed client", async () => {
  const transport = createMemoryTransport(createRouter([testService]));
  const client = createClient(TestService, transport);
  assert.is((await client.unary({ text: "typed" })).text, "typed");
  assert.is((await collect(client.serverStream({ count: 2 }))).length, 2);
  assert.is((await client.clientStream([{ text: "q" }])).text, "q");
  assert.is((await collect(client.bidi([{ text: "r" }])))[0]?.text, "r");
});

test("JSON carries google.protobuf.Any of the service's own types without a registry", async () => {
  const extra = anyPack(RetryInfoSchema, create(RetryInfoSchema, { retryAfterMs: 7 }));
  const client = setup({ codec: "json" });
  const res = await client.unary(M.unary, { text: "any", extra });
  assert.is(anyUnpack(res.extra!, RetryInfoSchema)?.retryAfterMs, 7);
});

test("JSON with a registry carries google.protobuf.Any of other types", async () => {
  const registry = createRegistry(DurationSchema);
  const extra = anyPack(DurationSchema, create(DurationSchema, { seconds: 3n }));
  const client = setup({ codec: "json", registry }, { registry });
  const res = await client.unary(M.unary, { text: "any", extra });
  assert.is(anyUnpack(res.extra!, DurationSchema)?.seconds, 3n);
  // Without the type on the server the request cannot be decoded.
  const blind = setup({ codec: "json", registry }, {});
  const out = await blind.callUnary(M.unary, { text: "any", extra });
  assert.is(out.error?.code, Code.InvalidArgument);
  // Nor can the client encode it without the type.
  const mute = setup({ codec: "json" }, { registry });
  const out2 = await mute.callUnary(M.unary, { text: "any", extra });
  assert.is(out2.error?.code, Code.Internal);
});

test("a signal shared by many calls keeps no listeners once they end", async () => {
  const client = setup();
  const ac = new AbortController();
  for (let i = 0; i < 20; i++) {
    await client.unary(M.unary, { text: "x" }, { signal: ac.signal });
    await client.callUnary(M.unary, { failCode: Code.NotFound }, { signal: ac.signal });
    for await (const _ of client.serverStream(M.serverStream, { count: 2 }, { signal: ac.signal }));
    await client.clientStream(M.clientStream, [{ text: "a" }], {
      signal: ac.signal,
      timeoutMs: 5000,
    });
  }
  assert.is(getEventListeners(ac.signal, "abort").length, 0);
});

test("many concurrent calls trip no listener warnings", async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.name);
  process.on("warning", onWarning);
  try {
    const client = setup();
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        i % 2 === 0
          ? client.unary(M.unary, { text: "c", delayMs: 5 })
          : client.clientStream(M.clientStream, [{ text: "c" }]),
      ),
    );
    await new Promise((r) => setTimeout(r, 10));
  } finally {
    process.off("warning", onWarning);
  }
  assert.equal(warnings, []);
});

test("calls leave no timers behind, unref'd ones included", async () => {
  // Unref'd timers are invisible to process.getActiveResourcesInfo(), so count them here.
  const live = new Set<unknown>();
  const realSet = globalThis.setTimeout;
  const realClear = globalThis.clearTimeout;
  globalThis.setTimeout = ((fn: () => void, ms?: number) => {
    const t = realSet(() => {
      live.delete(t);
      fn();
    }, ms);
    live.add(t);
    return t;
  }) as typeof setTimeout;
  globalThis.clearTimeout = ((t: Parameters<typeof clearTimeout>[0]) => {
    live.delete(t);
    realClear(t);
  }) as typeof clearTimeout;
  try {
    const client = setup();
    await client.unary(M.unary, { text: "t" }, { timeoutMs: 60_000 });
    await client.callUnary(M.unary, { failCode: Code.Internal }, { timeoutMs: 60_000 });
    for await (const _ of client.serverStream(M.serverStream, { count: 3 }, { timeoutMs: 60_000 }));
    for await (const r of client.serverStream(
      M.serverStream,
      { count: 100, delayMs: 1 },
      { timeoutMs: 60_000 },
    )) {
      if (r.index === 1) break;
    }
    await client.callUnary(M.unary, { delayMs: 10_000 }, { timeoutMs: 20 });
    await client.callClientStream(M.clientStream, [{ text: "a" }], { timeoutMs: 60_000 });
    const b = client.callBidiStream(M.bidi, [{ text: "a" }], { timeoutMs: 60_000 });
    await b.close();
    await new Promise((r) => realSet(r, 30));
    assert.is(live.size, 0);
  } finally {
    globalThis.setTimeout = realSet;
    globalThis.clearTimeout = realClear;
  }
});

test.run();
