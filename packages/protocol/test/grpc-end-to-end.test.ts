import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  type CodecName,
  Code,
  ConnectError,
  createMemoryTransport,
  createRouter,
  type Protocol,
  RpcClient,
} from "../src/index.js";
import { type EchoResponse, RetryInfoSchema, TestService } from "./gen/testpb/v1/test_pb.js";
import { setup } from "./support/setup.js";
import { createXorCompression, testGzip } from "./support/test-gzip.js";
import { observed, testService } from "./support/test-service.js";

const M = TestService.method;

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of it) out.push(v);
  return out;
}

for (const protocol of ["grpc", "grpc-web"] as Protocol[]) {
  for (const codec of ["proto", "json"] as CodecName[]) {
    for (const httpVersion of ["2", "1.1"] as const) {
      const name = `${protocol} ${codec} over HTTP/${httpVersion}`;

      test(`${name}: unary with headers and trailers`, async () => {
        const client = setup({ protocol, codec }, {}, httpVersion);
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
        assert.is(out.trailers.get("grpc-status"), undefined);
        assert.is(out.headers.get("x-trailer"), undefined);
        assert.is((await client.unary(M.unary, { text: "again" })).text, "again");
      });

      test(`${name}: server stream`, async () => {
        const client = setup({ protocol, codec }, {}, httpVersion);
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
        const none = await collect(client.serverStream(M.serverStream, { count: 0 }));
        assert.is(none.length, 0);
      });

      test(`${name}: client stream`, async () => {
        const client = setup({ protocol, codec }, {}, httpVersion);
        async function* reqs() {
          yield { text: "a" };
          yield { text: "b" };
        }
        assert.is((await client.clientStream(M.clientStream, reqs())).text, "a,b");
        const out = await client.callClientStream(M.clientStream, [{ text: "x" }], {
          headers: { "x-in": "1" },
        });
        assert.is(out.message?.text, "x");
        assert.is(out.headers.get("x-echo"), "1");
        assert.is(out.trailers.get("x-trailer"), "done");
        assert.is((await client.clientStream(M.clientStream, [])).index, 0);
      });

      test(`${name}: bidi stream`, async () => {
        const client = setup({ protocol, codec }, {}, httpVersion);
        const got = await collect(
          client.bidiStream(M.bidi, [{ text: "1" }, { text: "2" }, { text: "3" }]),
        );
        assert.equal(
          got.map((r) => r.text),
          ["1", "2", "3"],
        );
      });

      test(`${name}: errors with details, code and metadata, every call kind`, async () => {
        const client = setup({ protocol, codec }, {}, httpVersion);
        const text = "bad thing: 100% ünïcödé\r\n";
        const check = (err: ConnectError | undefined, code: Code) => {
          assert.instance(err, ConnectError);
          assert.is(err!.code, code);
          assert.is(err!.rawMessage, text);
          assert.is(err!.metadata.get("x-error-meta"), "yes");
          assert.is(err!.metadata.get("grpc-status"), undefined);
          const [detail] = err!.findDetails(RetryInfoSchema);
          assert.is(detail?.retryAfterMs, 42);
          assert.is(detail?.reason, text);
        };
        const u = await client.callUnary(M.unary, { text, failCode: Code.NotFound });
        check(u.error, Code.NotFound);
        assert.is(u.message, undefined);
        assert.is(u.trailers.get("x-trailer"), "done");
        assert.is(u.trailers.get("x-error-meta"), "yes");
        try {
          await client.unary(M.unary, { text, failCode: Code.AlreadyExists });
          assert.unreachable();
        } catch (e) {
          check(e as ConnectError, Code.AlreadyExists);
        }
        const s = client.callServerStream(M.serverStream, {
          text,
          count: 2,
          failCode: Code.Aborted,
        });
        assert.is((await collect(s)).length, 2);
        check(s.error, Code.Aborted);
        assert.is(s.trailers.get("x-trailer"), "done");
        const c = await client.callClientStream(M.clientStream, [
          { text, failCode: Code.OutOfRange },
        ]);
        check(c.error, Code.OutOfRange);
        const b = client.callBidiStream(M.bidi, [
          { text: "ok" },
          { text, failCode: Code.Unavailable },
        ]);
        assert.is((await collect(b)).length, 1);
        check(b.error, Code.Unavailable);
      });

      test(`${name}: compression negotiated both ways`, async () => {
        const xor = createXorCompression();
        const client = setup(
          { protocol, codec, compression: { send: xor, accept: [testGzip], minBytes: 0 } },
          { compression: [testGzip, xor], compressMinBytes: 0 },
          httpVersion,
        );
        const big = "z".repeat(2000);
        const res = await client.unary(M.unary, { text: big });
        assert.is(res.text, big);
        assert.ok(xor.uses.compress >= 1);
        assert.ok(xor.uses.decompress >= 1, "server decompressed the xor request");
        const got = await collect(client.bidiStream(M.bidi, [{ text: "a" }, { text: "b" }]));
        assert.is(got.length, 2);
      });
    }
  }

  test(`${protocol}: methods without implementation answer unimplemented`, async () => {
    const client = setup({ protocol });
    const out = await client.callUnary(M.missing, {});
    assert.is(out.error?.code, Code.Unimplemented);
  });

  test(`${protocol}: deadline ends the call and the server sees it`, async () => {
    const client = setup({ protocol });
    const started = Date.now();
    const out = await client.callUnary(M.unary, { text: "slow", delayMs: 5000 }, { timeoutMs: 50 });
    assert.is(out.error?.code, Code.DeadlineExceeded);
    assert.ok(Date.now() - started < 1000);
    const before = Date.now();
    await client.unary(M.unary, { text: "x" }, { timeoutMs: 10_000 });
    const deadline = observed.deadlines.at(-1);
    assert.ok(deadline !== undefined && deadline >= before + 9_000);
    const s = client.callServerStream(
      M.serverStream,
      { count: 100, delayMs: 20 },
      { timeoutMs: 100 },
    );
    assert.ok((await collect(s)).length < 100);
    assert.is(s.error?.code, Code.DeadlineExceeded);
  });

  test(`${protocol}: server-side deadline answers deadline_exceeded`, async () => {
    // The client enforces no deadline of its own here: the server's timer must fire.
    const router = createRouter([testService]);
    const transport = createMemoryTransport(router);
    const client = new RpcClient(transport, {
      protocol,
      interceptors: [
        (next) => async (req) => {
          req.header.set("grpc-timeout", "30m");
          return next(req);
        },
      ],
    });
    const out = await client.callUnary(M.unary, { delayMs: 5000 });
    assert.is(out.error?.code, Code.DeadlineExceeded);
  });

  test(`${protocol}: breaking out of a stream cancels the call on the server`, async () => {
    const client = setup({ protocol });
    for await (const r of client.serverStream(M.serverStream, { count: 1000, delayMs: 5 })) {
      if (r.index === 2) break;
    }
    const signal = observed.signals.at(-1)!;
    await new Promise((r) => setTimeout(r, 20));
    assert.ok(signal.aborted);
  });

  test(`${protocol}: bidi is full duplex over HTTP/2`, async () => {
    const client = setup({ protocol }, {}, "2");
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
    assert.is(((await it.next()).value as EchoResponse).text, "first");
    release();
    assert.is(((await it.next()).value as EchoResponse).text, "second");
    assert.ok((await it.next()).done);
    assert.is(out.error, undefined);
  });

  test(`${protocol}: oversized messages are resource_exhausted on both ends`, async () => {
    const big = "x".repeat(5000);
    const server = setup({ protocol }, { readMaxBytes: 1000 });
    assert.is((await server.callUnary(M.unary, { text: big })).error?.code, Code.ResourceExhausted);
    const client = setup({ protocol, readMaxBytes: 1000 });
    assert.is((await client.callUnary(M.unary, { text: big })).error?.code, Code.ResourceExhausted);
    const send = setup({ protocol, writeMaxBytes: 1000 });
    assert.is((await send.callUnary(M.unary, { text: big })).error?.code, Code.ResourceExhausted);
  });
}

test("one router serves Connect, gRPC and gRPC-Web side by side; protocols can be limited", async () => {
  const router = createRouter([testService]);
  for (const protocol of ["connect", "grpc", "grpc-web"] as Protocol[]) {
    const client = new RpcClient(createMemoryTransport(router), { protocol });
    assert.is((await client.unary(M.unary, { text: protocol })).text, protocol);
  }
  const only = createRouter([testService], { protocols: ["grpc"] });
  const grpc = new RpcClient(createMemoryTransport(only), { protocol: "grpc" });
  assert.is((await grpc.unary(M.unary, { text: "g" })).text, "g");
  for (const protocol of ["connect", "grpc-web"] as Protocol[]) {
    const client = new RpcClient(createMemoryTransport(only), { protocol });
    const out = await client.callUnary(M.unary, {});
    assert.ok(out.error !== undefined, protocol);
  }
});

test("gRPC calls leave no timers behind, unref'd ones included", async () => {
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
    for (const protocol of ["grpc", "grpc-web"] as Protocol[]) {
      const client = setup({ protocol });
      const opts = { timeoutMs: 60_000 };
      await client.unary(M.unary, { text: "t" }, opts);
      await client.callUnary(M.unary, { failCode: Code.Internal }, opts);
      for await (const _ of client.serverStream(M.serverStream, { count: 3 }, opts));
      for await (const r of client.serverStream(M.serverStream, { count: 100, delayMs: 1 }, opts)) {
        if (r.index === 1) break;
      }
      await client.callUnary(M.unary, { delayMs: 10_000 }, { timeoutMs: 20 });
      await client.callClientStream(M.clientStream, [{ text: "a" }], opts);
      const b = client.callBidiStream(M.bidi, [{ text: "a" }], opts);
      await b.close();
    }
    await new Promise((r) => realSet(r, 30));
    assert.is(live.size, 0);
  } finally {
    globalThis.setTimeout = realSet;
    globalThis.clearTimeout = realClear;
  }
});

test.run();
