import { create } from "@bufbuild/protobuf";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  Code,
  ConnectError,
  createMemoryTransport,
  createRouter,
  type Interceptor,
  registerService,
  RpcClient,
} from "../src/index.js";
import { type EchoResponse, EchoRequestSchema, TestService } from "./gen/testpb/v1/test_pb.js";
import { testImpl, testService } from "./support/test-service.js";

const M = TestService.method;

test("client interceptors run in order and see and change headers, messages and trailers", async () => {
  const order: string[] = [];
  const tag =
    (name: string): Interceptor =>
    (next) =>
    async (req) => {
      order.push(`>${name}`);
      req.header.append("x-in", name);
      const res = await next(req);
      order.push(`<${name}`);
      return res;
    };
  const rewrite: Interceptor = (next) => async (req) => {
    assert.is(req.side, "client");
    assert.is(req.url, "http://in-memory/testpb.v1.TestService/Unary");
    const res = await next(
      req.stream ? req : { ...req, message: create(EchoRequestSchema, { text: "rewritten" }) },
    );
    if (res.stream) return res;
    res.trailer.set("x-added", "1");
    return { ...res, message: { ...res.message, text: `${(res.message as EchoResponse).text}!` } };
  };
  const client = new RpcClient(createMemoryTransport(createRouter([testService])), {
    interceptors: [tag("a"), tag("b"), rewrite],
  });
  const out = await client.callUnary(M.unary, { text: "orig" });
  assert.is(out.message?.text, "rewritten!");
  assert.is(out.headers.get("x-echo"), "a, b");
  assert.is(out.trailers.get("x-added"), "1");
  assert.equal(order, [">a", ">b", "<b", "<a"]);
});

test("client interceptors see stream messages and errors", async () => {
  const seen: string[] = [];
  const errors: Code[] = [];
  const watch: Interceptor = (next) => async (req) => {
    try {
      const res = await next(req);
      if (!res.stream) return res;
      return {
        ...res,
        message: (async function* () {
          for await (const m of res.message) {
            seen.push((m as EchoResponse).text);
            yield m;
          }
        })(),
      };
    } catch (e) {
      errors.push((e as ConnectError).code);
      throw e;
    }
  };
  const client = new RpcClient(createMemoryTransport(createRouter([testService])), {
    interceptors: [watch],
  });
  for await (const _ of client.serverStream(M.serverStream, { text: "m", count: 2 }));
  assert.equal(seen, ["m", "m"]);
  await client.callUnary(M.unary, { failCode: Code.Aborted });
  assert.equal(errors, [Code.Aborted]);
});

test("server interceptors see the call and can reject it or change the response", async () => {
  const auth: Interceptor = (next) => async (req) => {
    assert.is(req.side, "server");
    if (req.header.get("authorization") !== "Bearer ok") {
      throw new ConnectError("no token", Code.Unauthenticated);
    }
    const res = await next(req);
    res.header.set("x-served-by", "interceptor");
    return res;
  };
  const client = new RpcClient(
    createMemoryTransport(createRouter([testService], { interceptors: [auth] })),
  );
  const denied = await client.callUnary(M.unary, {});
  assert.is(denied.error?.code, Code.Unauthenticated);
  const ok = await client.callUnary(
    M.unary,
    { text: "t" },
    { headers: { authorization: "Bearer ok" } },
  );
  assert.is(ok.message?.text, "t");
  assert.is(ok.headers.get("x-served-by"), "interceptor");
  const s = client.callServerStream(
    M.serverStream,
    { count: 1 },
    { headers: { authorization: "Bearer ok" } },
  );
  for await (const _ of s);
  assert.is(s.headers.get("x-served-by"), "interceptor");
});

test("handler context: deadline, time remaining and headers set before the first message", async () => {
  let remaining: number | undefined;
  const svc = registerService(TestService, {
    ...testImpl,
    async unary(req, ctx) {
      remaining = ctx.timeRemaining();
      assert.is(ctx.protocol, "connect");
      assert.is(ctx.method.name, "Unary");
      return { text: req.text };
    },
    async *serverStream(_req, ctx) {
      ctx.responseHeaders.set("x-before", "1");
      yield { index: 0 };
      ctx.responseHeaders.set("x-after", "ignored");
      ctx.responseTrailers.set("x-late-trailer", "ok");
    },
  });
  const client = new RpcClient(createMemoryTransport(createRouter([svc])));
  await client.unary(M.unary, {}, { timeoutMs: 5000 });
  assert.ok(remaining !== undefined && remaining > 4000 && remaining <= 5000);
  await client.unary(M.unary, {});
  assert.is(remaining, undefined);
  const s = client.callServerStream(M.serverStream, {});
  assert.is((await s.responseHeaders()).get("x-before"), "1");
  for await (const _ of s);
  assert.is(s.headers.get("x-after"), undefined);
  assert.is(s.trailers.get("x-late-trailer"), "ok");
});

test("an implementation that throws something else than a ConnectError fails with unknown, keeping the text", async () => {
  const svc = registerService(TestService, {
    async unary() {
      throw new Error("database is down");
    },
    // biome-ignore lint/correctness/useYield: the stream fails before its first message
    async *serverStream() {
      throw "not even an Error";
    },
  });
  const client = new RpcClient(createMemoryTransport(createRouter([svc])));
  const out = await client.callUnary(M.unary, {});
  assert.is(out.error?.code, Code.Unknown);
  assert.is(out.error?.rawMessage, "database is down");
  const s = client.callServerStream(M.serverStream, {});
  for await (const _ of s);
  assert.is(s.error?.code, Code.Unknown);
});

test("registerService rejects names that are not methods", () => {
  assert.throws(
    () => registerService(TestService, { nope: async () => ({}) } as never),
    /no method "nope"/,
  );
});

test.run();
