import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createClient,
  Metadata,
  type ServerRequest,
  type ServerResponse,
} from "@connect-ts/protocol";
import { createHttp1Transport } from "@connect-ts/transport-http1";
import { createHttp2Transport } from "@connect-ts/transport-http2";
import * as grpc from "@grpc/grpc-js";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createConnectHandler } from "../src/index.js";
import { LazyAbort } from "../src/lazy-abort.js";
import { EchoRequestSchema, EchoResponseSchema } from "./gen/servertest/v1/test_pb.js";
import { gate, sleep, within } from "./helpers/gate.js";
import { routerOf, startServer } from "./helpers/servers.js";
import { TestService, testService } from "./helpers/test-service.js";
import { tlsMaterial } from "./helpers/tls.js";

// The HTTP/2 'stream' entry point (handler.stream): mounted by hand on a
// plain server, and as listen() mounts it beside the HTTP/1.1 request
// listener of an allowHTTP1 server.

async function until(what: string, ok: () => boolean): Promise<void> {
  await within(
    2000,
    (async () => {
      while (!ok()) await sleep(5);
    })(),
    what,
  );
}

function grpcJsEcho(client: grpc.Client, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      "/servertest.v1.TestService/Echo",
      (m: string) =>
        Buffer.from(toBinary(EchoRequestSchema, create(EchoRequestSchema, { text: m }))),
      (b: Buffer) => fromBinary(EchoResponseSchema, b).text,
      text,
      (err, value) => (err ? reject(err) : resolve(value!)),
    );
  });
}

test("handler.stream on a bare http2 server serves our client in three protocols, and grpc-js", async () => {
  const handler = createConnectHandler([testService()]);
  const server = http2.createServer();
  server.on("stream", handler.stream);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const transport = createHttp2Transport({ baseUrl });
  const grpcClient = new grpc.Client(
    baseUrl.slice("http://".length),
    grpc.credentials.createInsecure(),
  );
  try {
    for (const protocol of ["connect", "grpc", "grpc-web"] as const) {
      const client = createClient(TestService, transport, { protocol });
      assert.is(
        (await client.echo({ text: protocol }, { headers: { "x-echo": "1" } })).text,
        protocol,
      );
      const counted: number[] = [];
      for await (const r of client.count({ count: 3 })) counted.push(r.number);
      assert.equal(counted, [1, 2, 3]);
      async function* numbers() {
        yield { number: 2n };
        yield { number: 5n };
      }
      assert.is((await client.sum(numbers())).sum, 7n);
      const err = await client.echo({ text: "x", failCode: Code.NotFound }).catch((e) => e);
      assert.instance(err, ConnectError, protocol);
      assert.is((err as ConnectError).code, Code.NotFound, protocol);
      assert.is((err as ConnectError).metadata.get("x-failed"), "yes", protocol);
    }
    assert.is(await grpcJsEcho(grpcClient, "from grpc-js"), "from grpc-js");
    assert.is(server.listenerCount("request"), 0, "no compatibility layer was set up");
    assert.is(handler.inFlight, 0);
  } finally {
    grpcClient.close();
    await transport.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test("listen() over TLS: HTTP/2 streams go to handler.stream, HTTP/1.1 clients to the request listener", async () => {
  const seenVersions: string[] = [];
  const router = routerOf(
    async (req: ServerRequest): Promise<ServerResponse> => {
      seenVersions.push(req.httpVersion);
      await req.body.readAll(1024);
      return { status: 200, headers: new Metadata(), body: new TextEncoder().encode("ok") };
    },
    ["/svc/Call"],
  );
  const server = await startServer(router, "h2-tls");
  const tls = { ca: tlsMaterial().ca };
  const h2 = createHttp2Transport({ baseUrl: server.url, tls });
  const h1 = createHttp1Transport({ baseUrl: server.url, tls });
  try {
    assert.equal(server.server.listeners("stream"), [server.handler.stream]);
    for (const transport of [h2, h1]) {
      const res = await transport.request({
        method: "POST",
        url: `${server.url}/svc/Call`,
        headers: new Metadata({ "content-type": "application/octet-stream" }),
        body: new Uint8Array([1, 2, 3]),
        signal: new AbortController().signal,
      });
      assert.is(res.status, 200);
      assert.is(new TextDecoder().decode(await res.body.readAll(1024)), "ok");
    }
    assert.equal(seenVersions, ["2", "1.1"]);
  } finally {
    await h2.close();
    await h1.close();
    await server.close();
  }
});

test("a request listener added to a listen() server later does not answer its HTTP/2 calls twice", async () => {
  const server = await startServer([testService()], "h2c");
  let compatRequests = 0;
  // Node sets its compatibility layer up now, so HTTP/2 streams are also
  // emitted as requests; the adapter must leave those to handler.stream.
  server.server.on("request", () => {
    compatRequests++;
  });
  const transport = createHttp2Transport({ baseUrl: server.url });
  try {
    const client = createClient(TestService, transport);
    for (let i = 0; i < 3; i++) assert.is((await client.echo({ text: `n${i}` })).text, `n${i}`);
    const counted: number[] = [];
    for await (const r of client.count({ count: 2 })) counted.push(r.number);
    assert.equal(counted, [1, 2]);
    assert.is(compatRequests, 4, "the compatibility layer saw the calls");
  } finally {
    await transport.close();
    await server.close();
  }
});

test("stream path: a signal first read after the client reset the stream is born aborted with canceled", async () => {
  const release = gate();
  const seen = gate<AbortSignal>();
  const router = routerOf(
    async (req: ServerRequest): Promise<ServerResponse> => {
      await release.promise;
      seen.open(req.signal);
      return { status: 200, headers: new Metadata(), body: undefined };
    },
    ["/svc/Wait"],
  );
  const server = await startServer(router, "h2c");
  const session = http2.connect(server.url);
  session.on("error", () => {});
  try {
    const stream = session.request({ ":method": "POST", ":path": "/svc/Wait" });
    stream.on("error", () => {});
    stream.end();
    await until("the call reaching the server", () => server.handler.inFlight === 1);
    stream.close(http2.constants.NGHTTP2_CANCEL);
    await until("the server seeing the reset", () => server.handler.inFlight === 0);
    release.open();
    const signal = await within(2000, seen.promise, "the handler reading its signal");
    assert.ok(signal.aborted);
    assert.instance(signal.reason, ConnectError);
    assert.is((signal.reason as ConnectError).code, Code.Canceled);
  } finally {
    session.destroy();
    await server.close();
  }
});

function rawJsonCall(
  session: http2.ClientHttp2Session,
  path: string,
  body: object,
): Promise<{ status: number; body: string; rstCode: number | undefined }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/json",
    });
    let status = 0;
    let text = "";
    stream.on("response", (h) => {
      status = Number(h[":status"]);
    });
    stream.setEncoding("utf8");
    stream.on("data", (c: string) => {
      text += c;
    });
    stream.on("error", reject);
    stream.on("close", () => resolve({ status, body: text, rstCode: stream.rstCode }));
    stream.end(JSON.stringify(body));
  });
}

test("stream path: unary answers given while other calls are in flight arrive whole and end cleanly", async () => {
  const server = await startServer([testService()], "h2c");
  const session = http2.connect(server.url);
  session.on("error", () => {});
  try {
    const path = "/servertest.v1.TestService/Echo";
    const slow = rawJsonCall(session, path, { text: "slow", delayMs: 300 });
    await until("the slow call reaching the server", () => server.handler.inFlight === 1);
    const quick = await within(
      2000,
      Promise.all(
        Array.from({ length: 20 }, (_, i) => rawJsonCall(session, path, { text: `q${i}` })),
      ),
      "the quick calls",
    );
    assert.is(server.handler.inFlight, 1, "only the slow call is left");
    quick.forEach((r, i) => {
      assert.is(r.status, 200);
      assert.is(JSON.parse(r.body).text, `q${i}`);
      assert.is(r.rstCode, http2.constants.NGHTTP2_NO_ERROR);
    });
    const last = await within(2000, slow, "the slow call");
    assert.is(JSON.parse(last.body).text, "slow");
    await until("no call left", () => server.handler.inFlight === 0);
  } finally {
    session.destroy();
    await server.close();
  }
});

// Node ends the readable side of a stream the client resets before it says
// why, so a reset midway reads like a complete body; a declared length
// catches it (a body without one is still taken as sent).
test("stream path: a unary body shorter than its content-length, cut by a client reset, rejects with canceled", async () => {
  const outcome = gate<unknown>();
  const router = routerOf(
    async (req: ServerRequest): Promise<ServerResponse> => {
      try {
        await req.body.readAll(1 << 20);
        outcome.open("resolved");
      } catch (err) {
        outcome.open(err);
      }
      return { status: 200, headers: new Metadata(), body: undefined };
    },
    ["/svc/Read"],
  );
  const server = await startServer(router, "h2c");
  const session = http2.connect(server.url);
  session.on("error", () => {});
  try {
    const stream = session.request({
      ":method": "POST",
      ":path": "/svc/Read",
      "content-length": "1000",
    });
    stream.on("error", () => {});
    stream.write(Buffer.alloc(100));
    await until("the call reaching the server", () => server.handler.inFlight === 1);
    stream.close(http2.constants.NGHTTP2_CANCEL);
    const err = await within(2000, outcome.promise, "the read settling");
    assert.instance(err, ConnectError, String(err));
    assert.is((err as ConnectError).code, Code.Canceled);
  } finally {
    session.destroy();
    await server.close();
  }
});

test("stream path: a client that sends expect: 100-continue gets 100, then its answer", async () => {
  const server = await startServer([testService()], "h2c");
  const session = http2.connect(server.url);
  session.on("error", () => {});
  try {
    const stream = session.request({
      ":method": "POST",
      ":path": "/servertest.v1.TestService/Echo",
      "content-type": "application/json",
      expect: "100-continue",
    });
    const continued = new Promise<void>((resolve) => stream.once("continue", () => resolve()));
    await within(2000, continued, "100 continue");
    stream.end(JSON.stringify({ text: "after 100" }));
    const [status, body] = await within(
      2000,
      new Promise<[number, string]>((resolve, reject) => {
        let status = 0;
        let body = "";
        stream.on("response", (h) => {
          status = Number(h[":status"]);
        });
        stream.setEncoding("utf8");
        stream.on("data", (c: string) => {
          body += c;
        });
        stream.on("end", () => resolve([status, body]));
        stream.on("error", reject);
      }),
      "the answer",
    );
    assert.is(status, 200);
    assert.is(JSON.parse(body).text, "after 100");
  } finally {
    session.destroy();
    await server.close();
  }
});

test("LazyAbort: no controller until read; aborting first gives a signal born aborted; the first reason wins", () => {
  const early = new LazyAbort();
  assert.not.ok(early.aborted);
  early.abort("first");
  early.abort("second");
  assert.ok(early.aborted);
  assert.ok(early.signal.aborted);
  assert.is(early.signal.reason, "first");
  assert.is(early.signal, early.signal, "one signal per call");

  const late = new LazyAbort();
  const signal = late.signal;
  let heard: unknown;
  signal.addEventListener("abort", () => {
    heard = signal.reason;
  });
  assert.not.ok(signal.aborted);
  late.abort("gone");
  late.abort("again");
  assert.is(heard, "gone");
  assert.is(signal.reason, "gone");
});

test("LazyAbort.watchAbort: the watcher is told once, before the signal, and not once removed", () => {
  const order: string[] = [];
  const watcher = { requestAborted: (reason: unknown) => order.push(`watcher:${reason}`) };
  const call = new LazyAbort();
  assert.ok(call.watchAbort(watcher));
  call.signal.addEventListener("abort", () => order.push("signal"));
  call.abort("gone");
  call.abort("again");
  assert.equal(order, ["watcher:gone", "signal"]);
  // Aborted already: no watcher is kept.
  assert.not.ok(call.watchAbort(watcher));

  const removed = new LazyAbort();
  removed.watchAbort(watcher);
  assert.ok(removed.watchAbort(undefined));
  removed.abort("late");
  assert.equal(order, ["watcher:gone", "signal"]);
});

test.run();
