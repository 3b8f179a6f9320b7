import { getEventListeners } from "node:events";
import { createServer as createHttp1Server } from "node:http";
import { constants, type ServerHttp2Stream } from "node:http2";
import { createServer as createTcpServer } from "node:net";
import { Code, ConnectError, type HttpRequest, Metadata } from "@connect-ts/protocol";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createHttp2Transport } from "../src/index.js";
import { readStream, startH2Server, type TestH2Server } from "./helpers/h2-server.js";
import { assertNoLeaks, resourceBaseline } from "./helpers/leaks.js";
import { bytes, Channel, sleep, text, within } from "./helpers/util.js";

const baseline = resourceBaseline();
let server: TestH2Server;
/** What each test's server does with a stream, by path. */
const routes = new Map<
  string,
  (stream: ServerHttp2Stream, headers: Record<string, unknown>) => void
>();

function post(
  url: string,
  body: HttpRequest["body"],
  signal = new AbortController().signal,
  headers?: Metadata,
): HttpRequest {
  return { method: "POST", url, headers: headers ?? new Metadata(), body, signal };
}

async function expectCode(
  promise: Promise<unknown>,
  code: Code,
  what: string,
): Promise<ConnectError> {
  try {
    await within(promise, 3000, what);
  } catch (error) {
    assert.instance(error, ConnectError, `${what}: ${String(error)}`);
    const connectError = error as ConnectError;
    assert.is(Code[connectError.code], Code[code], `${what}: ${connectError.message}`);
    return connectError;
  }
  assert.unreachable(`${what}: expected ${Code[code]}`);
  throw new Error("unreachable");
}

test.before(async () => {
  server = await startH2Server((stream, headers) => {
    const route = routes.get(String(headers[":path"]).split("?")[0]!);
    if (route === undefined) {
      stream.respond({ ":status": 404 }, { endStream: true });
      return;
    }
    route(stream, headers);
  });
});

test.after(async () => {
  await server.close();
});

test("unary: body, headers, content-length and trailers round trip", async () => {
  routes.set("/echo", (stream, headers) => {
    void readStream(stream).then((body) => {
      stream.respond(
        {
          ":status": 200,
          "x-content-length": String(headers["content-length"]),
          "x-custom": String(headers["x-custom"]),
          "x-multi": ["a", "b"],
        },
        { waitForTrailers: true },
      );
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0", "x-t": "done" }));
      stream.end(body);
    });
  });
  const transport = createHttp2Transport({ baseUrl: server.url });
  assert.is(transport.httpVersion, "2");
  assert.is(transport.fullDuplex, true);
  const headers = new Metadata({ "x-custom": "hello", te: "trailers", connection: "close" });
  const res = await transport.request(
    post(`${server.url}/echo`, bytes("ping"), undefined, headers),
  );
  assert.is(res.status, 200);
  assert.is(res.headers.get("x-content-length"), "4");
  assert.is(res.headers.get("x-custom"), "hello");
  assert.is(res.headers.has(":status"), false);
  assert.is(text(await res.body.readAll(1024)), "ping");
  assert.is(res.trailers.get("grpc-status"), "0");
  assert.is(res.trailers.get("x-t"), "done");
  await transport.close();
});

test("GET without a body, and a path with a query", async () => {
  routes.set("/get", (stream, headers) => {
    stream.respond({ ":status": 200 });
    stream.end(`${headers[":method"]} ${headers[":path"]}`);
  });
  const transport = createHttp2Transport({ baseUrl: server.url });
  const res = await transport.request({
    method: "GET",
    url: `${server.url}/get?message=abc&encoding=json`,
    headers: new Metadata(),
    body: undefined,
    signal: new AbortController().signal,
  });
  assert.is(text(await res.body.readAll(1024)), "GET /get?message=abc&encoding=json");
  await transport.close();
});

test("server stream: each chunk arrives as it is sent", async () => {
  let sendNext: (() => void) | undefined;
  routes.set("/server-stream", (stream) => {
    stream.respond({ ":status": 200 });
    let n = 0;
    sendNext = () => {
      n++;
      if (n <= 3) stream.write(`chunk${n}`);
      else stream.end();
    };
    sendNext();
  });
  const transport = createHttp2Transport({ baseUrl: server.url });
  const res = await transport.request(post(`${server.url}/server-stream`, bytes("")));
  const iterator = res.body[Symbol.asyncIterator]();
  for (let i = 1; i <= 3; i++) {
    const next = await within(iterator.next(), 2000, `chunk ${i}`);
    assert.is(next.done, false);
    assert.is(text(next.value as Uint8Array), `chunk${i}`);
    sendNext!();
  }
  assert.is((await iterator.next()).done, true);
  await transport.close();
});

test("client stream: chunks are sent as produced, and the producer is held back by backpressure", async () => {
  let received = 0;
  let serverStream: ServerHttp2Stream | undefined;
  const firstChunk = new Promise<void>((resolve) => {
    routes.set("/client-stream", (stream) => {
      serverStream = stream;
      stream.once("data", (chunk: Buffer) => {
        received += chunk.length;
        stream.pause(); // stop reading: flow control must hold the client back
        resolve();
      });
    });
  });
  const transport = createHttp2Transport({ baseUrl: server.url });
  let pulled = 0;
  const chunk = new Uint8Array(16 * 1024);
  async function* produce() {
    for (let i = 0; i < 10_000; i++) {
      pulled++;
      yield chunk;
    }
  }
  const responsePromise = transport.request(post(`${server.url}/client-stream`, produce()));
  await within(firstChunk, 2000, "first chunk");
  await sleep(300);
  // 64 KiB stream window plus socket and stream buffers: far below 10 000 chunks.
  assert.ok(pulled < 100, `pulled ${pulled} chunks while the server was not reading`);
  const stalledAt = pulled;
  // Reading again lets the rest through, and the response follows.
  serverStream!.on("data", (c: Buffer) => {
    received += c.length;
  });
  serverStream!.on("end", () => {
    serverStream!.respond({ ":status": 200 });
    serverStream!.end(String(received));
  });
  serverStream!.resume();
  const res = await within(responsePromise, 5000, "response");
  assert.is(text(await res.body.readAll(100)), String(10_000 * 16 * 1024));
  assert.ok(pulled > stalledAt);
  await transport.close();
});

test("a slow reader holds the server back through flow control", async () => {
  const chunk = new Uint8Array(16 * 1024);
  const total = 400; // 6.4 MiB
  let sent = 0;
  routes.set("/firehose", (stream) => {
    stream.respond({ ":status": 200 });
    const pump = () => {
      while (sent < total) {
        sent++;
        if (!stream.write(chunk)) {
          stream.once("drain", pump);
          return;
        }
      }
      stream.end();
    };
    pump();
  });
  const transport = createHttp2Transport({ baseUrl: server.url });
  const res = await transport.request(post(`${server.url}/firehose`, bytes("")));
  const iterator = res.body[Symbol.asyncIterator]();
  await iterator.next();
  await sleep(300);
  // Windows of 64 KiB plus a little buffering on each side: far below the 400 chunks.
  assert.ok(sent < 30, `the server sent ${sent} chunks to a reader that was not reading`);
  let received = 16 * 1024;
  for (;;) {
    const next = await within(iterator.next(), 5000, "rest of the body");
    if (next.done === true) break;
    received += next.value.byteLength;
  }
  assert.is(received, total * 16 * 1024);
  await transport.close();
});

test("full duplex: a response chunk arrives before the next request chunk is sent", async () => {
  routes.set("/ping-pong", (stream) => {
    stream.respond({ ":status": 200 });
    stream.on("data", (chunk: Buffer) => stream.write(`pong:${chunk.toString()}`));
    stream.on("end", () => stream.end());
  });
  const transport = createHttp2Transport({ baseUrl: server.url });
  const requests = new Channel<Uint8Array>();
  requests.push(bytes("1"));
  const res = await within(
    transport.request(post(`${server.url}/ping-pong`, requests)),
    2000,
    "headers",
  );
  const iterator = res.body[Symbol.asyncIterator]();
  for (let i = 1; i <= 5; i++) {
    const next = await within(iterator.next(), 2000, `pong ${i}`);
    assert.is(text(next.value as Uint8Array), `pong:${i}`);
    // The request stream is still open: the next ping is produced only now.
    if (i < 5) requests.push(bytes(String(i + 1)));
  }
  requests.end();
  assert.is((await within(iterator.next(), 2000, "end")).done, true);
  await transport.close();
});

test("readAll fails with resource_exhausted past the limit and resets the stream", async () => {
  let serverClosed!: Promise<number>;
  routes.set("/big", (stream) => {
    serverClosed = new Promise((resolve) => stream.on("close", () => resolve(stream.rstCode)));
    stream.respond({ ":status": 200 });
    stream.write(new Uint8Array(600));
    stream.write(new Uint8Array(600)); // and never ends: the client must not wait for the end
  });
  const transport = createHttp2Transport({ baseUrl: server.url });
  const res = await transport.request(post(`${server.url}/big`, bytes("")));
  await expectCode(res.body.readAll(1000), Code.ResourceExhausted, "readAll");
  assert.is(await within(serverClosed, 2000, "server stream closed"), constants.NGHTTP2_CANCEL);
  await transport.close();
});

test("readAll refuses a body whose content-length is over the limit without waiting for it", async () => {
  routes.set("/declared", (stream) => {
    stream.respond({ ":status": 200, "content-length": "100000" });
    stream.write("only this, and then nothing for a long time");
  });
  const transport = createHttp2Transport({ baseUrl: server.url });
  const res = await transport.request(post(`${server.url}/declared`, bytes("")));
  const started = performance.now();
  await expectCode(res.body.readAll(1000), Code.ResourceExhausted, "declared too large");
  assert.ok(performance.now() - started < 100);
  await transport.close();
});

test("abort before the response: canceled at once, the stream is reset", async () => {
  let serverClosed!: Promise<void>;
  routes.set("/hang", (stream) => {
    serverClosed = new Promise((resolve) => stream.on("close", resolve));
  });
  const transport = createHttp2Transport({ baseUrl: server.url });
  const controller = new AbortController();
  const promise = transport.request(post(`${server.url}/hang`, bytes("x"), controller.signal));
  await sleep(50);
  const started = performance.now();
  controller.abort();
  await expectCode(promise, Code.Canceled, "aborted request");
  assert.ok(performance.now() - started < 100);
  await within(serverClosed, 2000, "server saw the reset");
  await transport.close();
});

test("after an abort, chunks that had already arrived are not delivered", async () => {
  routes.set("/three", (stream) => {
    stream.respond({ ":status": 200 });
    stream.write("1");
    setTimeout(() => stream.write("2"), 5);
    setTimeout(() => stream.write("3"), 10);
  });
  const transport = createHttp2Transport({ baseUrl: server.url });
  const controller = new AbortController();
  const res = await transport.request(post(`${server.url}/three`, bytes(""), controller.signal));
  const iterator = res.body[Symbol.asyncIterator]();
  assert.is(text((await iterator.next()).value as Uint8Array), "1");
  await sleep(100); // "2" and "3" arrive and wait in the body
  controller.abort();
  await expectCode(iterator.next(), Code.Canceled, "next after abort");
  await transport.close();
});

test("abort mid-response ends the body with canceled; a timeout reason gives deadline_exceeded", async () => {
  routes.set("/slow-stream", (stream) => {
    stream.respond({ ":status": 200 });
    stream.write("first");
  });
  const transport = createHttp2Transport({ baseUrl: server.url });
  const controller = new AbortController();
  const res = await transport.request(
    post(`${server.url}/slow-stream`, bytes(""), controller.signal),
  );
  const iterator = res.body[Symbol.asyncIterator]();
  assert.is(text((await iterator.next()).value as Uint8Array), "first");
  const pending = iterator.next();
  controller.abort();
  await expectCode(pending, Code.Canceled, "body after abort");

  const timed = await transport.request(
    post(`${server.url}/slow-stream`, bytes(""), AbortSignal.timeout(100)),
  );
  await expectCode(timed.body.readAll(1000), Code.DeadlineExceeded, "body after timeout");
  await expectCode(
    transport.request(post(`${server.url}/hang`, bytes(""), AbortSignal.timeout(50))),
    Code.DeadlineExceeded,
    "request after timeout",
  );
  await transport.close();
});

test("abort while the request body is streaming stops pulling from the producer", async () => {
  routes.set("/sink", (stream) => {
    stream.respond({ ":status": 200 });
    stream.resume();
  });
  const transport = createHttp2Transport({ baseUrl: server.url });
  const controller = new AbortController();
  const requests = new Channel<Uint8Array>();
  requests.push(bytes("a"));
  const res = await transport.request(post(`${server.url}/sink`, requests, controller.signal));
  const reading = res.body.readAll(100);
  controller.abort();
  await expectCode(reading, Code.Canceled, "body");
  await sleep(20);
  // The producer was told to finish: a pushed value is never taken.
  requests.push(bytes("b"));
  await sleep(20);
  assert.is(requests.taken, 1);
  await transport.close();
});

test("a request body whose producer fails resets the stream and fails with the producer's error", async () => {
  let serverClosed!: Promise<void>;
  routes.set("/sink2", (stream) => {
    serverClosed = new Promise((resolve) => stream.on("close", resolve));
    stream.resume();
  });
  const transport = createHttp2Transport({ baseUrl: server.url });
  async function* failing() {
    yield bytes("a");
    throw new ConnectError("producer gave up", Code.DataLoss);
  }
  const error = await expectCode(
    transport.request(post(`${server.url}/sink2`, failing())),
    Code.DataLoss,
    "producer",
  );
  assert.is(error.rawMessage, "producer gave up");
  await within(serverClosed, 2000, "server saw the reset");
  await transport.close();
});

test("a server that answers before the request body ends: the answer is read, the producer is stopped", async () => {
  routes.set("/early", (stream) => {
    stream.respond({ ":status": 200 });
    stream.end("early answer");
  });
  const transport = createHttp2Transport({ baseUrl: server.url });
  let finished = false;
  async function* slow() {
    try {
      for (let i = 0; i < 1000; i++) {
        yield bytes("x");
        await sleep(5);
      }
    } finally {
      finished = true;
    }
  }
  const res = await within(transport.request(post(`${server.url}/early`, slow())), 2000, "early");
  assert.is(text(await within(res.body.readAll(100), 2000, "body")), "early answer");
  for (let i = 0; i < 100 && !finished; i++) await sleep(10);
  assert.ok(finished, "the producer was not stopped");
  await transport.close();
});

test("a stream reset by the server maps its code", async () => {
  routes.set("/refuse", (stream) => stream.close(constants.NGHTTP2_ENHANCE_YOUR_CALM));
  routes.set("/reset-mid", (stream) => {
    stream.respond({ ":status": 200 });
    // destroy() resets at once; close() would first end the stream cleanly.
    stream.write("partial", () => setTimeout(() => stream.destroy(new Error("boom")), 10));
  });
  routes.set("/short", (stream) => {
    stream.respond({ ":status": 200, "content-length": "100" });
    // destroy() without an error resets with NO_ERROR, which Node reports as an end.
    stream.write("partial", () => setTimeout(() => stream.destroy(), 10));
  });
  const transport = createHttp2Transport({ baseUrl: server.url });
  await expectCode(
    transport.request(post(`${server.url}/refuse`, bytes(""))),
    Code.ResourceExhausted,
    "calm",
  );
  const res = await transport.request(post(`${server.url}/reset-mid`, bytes("")));
  await expectCode(res.body.readAll(1000), Code.Internal, "internal error reset");
  // RST_STREAM(NO_ERROR) mid-body reads as a plain end in Node: content-length catches it.
  const short = await transport.request(post(`${server.url}/short`, bytes("")));
  await expectCode(short.body.readAll(1000), Code.Internal, "short body");
  await transport.close();
});

test("the server dropping the connection mid-stream ends the body with unavailable", async () => {
  routes.set("/drop", (stream) => {
    stream.respond({ ":status": 200 });
    stream.write("some", () => setTimeout(() => server.dropConnections(), 10));
  });
  const transport = createHttp2Transport({ baseUrl: server.url });
  const res = await transport.request(post(`${server.url}/drop`, bytes("")));
  const chunks: string[] = [];
  const error = await expectCode(
    (async () => {
      for await (const chunk of res.body) chunks.push(text(chunk));
    })(),
    Code.Unavailable,
    "iteration",
  );
  assert.equal(chunks, ["some"]);
  assert.ok(error.message.length > 0);
  await transport.close();
});

test("connection refused is unavailable, with the socket error as cause", async () => {
  const probe = createTcpServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  const transport = createHttp2Transport({ baseUrl: `http://127.0.0.1:${port}` });
  const results = await Promise.allSettled([
    transport.request(post(`http://127.0.0.1:${port}/x`, bytes(""))),
    transport.request(post(`http://127.0.0.1:${port}/x`, bytes(""))),
  ]);
  for (const result of results) {
    assert.is(result.status, "rejected");
    const error = (result as PromiseRejectedResult).reason as ConnectError;
    assert.instance(error, ConnectError);
    assert.is(error.code, Code.Unavailable);
    assert.is((error.cause as { code?: string }).code, "ECONNREFUSED");
  }
  await transport.close();
});

test("a connection that never answers times out with unavailable", async () => {
  const silent = createTcpServer((socket) => socket.on("error", () => {}).resume());
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const port = (silent.address() as { port: number }).port;
  // TLS to a server that never answers the handshake: the connection never completes.
  const transport = createHttp2Transport({
    baseUrl: `https://127.0.0.1:${port}`,
    connectTimeoutMs: 100,
  });
  await expectCode(
    transport.request(post(`https://127.0.0.1:${port}/x`, bytes(""))),
    Code.Unavailable,
    "connect timeout",
  );
  await transport.close();
  await new Promise((resolve) => silent.close(resolve));
});

test("a server that does not speak HTTP/2 is a protocol error: internal", async () => {
  const h1 = createHttp1Server((_req, res) => res.end("HTTP/1.1 only"));
  await new Promise<void>((resolve) => h1.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(h1.address() as { port: number }).port}`;
  const transport = createHttp2Transport({ baseUrl: url });
  await expectCode(
    transport.request(post(`${url}/x`, bytes(""))),
    Code.Internal,
    "h2c to HTTP/1.1",
  );
  await transport.close();
  h1.closeAllConnections();
  await new Promise((resolve) => h1.close(resolve));
});

test("a malformed header is invalid_argument, and the session and its other calls live on", async () => {
  routes.set("/held", (stream) => {
    stream.respond({ ":status": 200 });
    setTimeout(() => stream.end("fine"), 50);
  });
  const transport = createHttp2Transport({ baseUrl: server.url });
  const before = server.accepted();
  const inflight = await transport.request(post(`${server.url}/held`, bytes("")));
  for (const [name, value] of [
    ["bad name", "v"],
    [":path", "/elsewhere"],
    ["x-ok", "line\nbreak"],
    ["x-ok", "nul\0"],
  ]) {
    const headers = new Metadata([[name!, value!]]);
    await expectCode(
      transport.request(post(`${server.url}/held`, bytes(""), undefined, headers)),
      Code.InvalidArgument,
      JSON.stringify([name, value]),
    );
  }
  assert.is(text(await inflight.body.readAll(100)), "fine");
  const after = await transport.request(post(`${server.url}/held`, bytes("")));
  assert.is(text(await after.body.readAll(100)), "fine");
  assert.is(server.accepted() - before, 1);
  await transport.close();
});

test("no listener is left on a shared signal, whatever way the calls end", async () => {
  routes.set("/ok", (stream) => {
    stream.respond({ ":status": 200 });
    stream.end("ok");
  });
  routes.set("/reset", (stream) => stream.close(constants.NGHTTP2_INTERNAL_ERROR));
  routes.set("/long", (stream) => {
    stream.respond({ ":status": 200 });
    stream.write(new Uint8Array(2000));
  });
  const transport = createHttp2Transport({ baseUrl: server.url });
  const signal = new AbortController().signal;
  for (let i = 0; i < 20; i++) {
    const ok = await transport.request(post(`${server.url}/ok`, bytes(""), signal));
    await ok.body.readAll(10);
    await transport.request(post(`${server.url}/reset`, bytes(""), signal)).catch(() => {});
    const long = await transport.request(post(`${server.url}/long`, bytes(""), signal));
    await long.body.readAll(100).catch(() => {});
    const canceled = await transport.request(post(`${server.url}/long`, bytes(""), signal));
    canceled.body.cancel();
  }
  await sleep(50);
  assert.is(getEventListeners(signal, "abort").length, 0);
  await transport.close();
});

test("reading a body twice is an error, and cancel is idempotent", async () => {
  routes.set("/twice", (stream) => {
    stream.respond({ ":status": 200 });
    stream.end("x");
  });
  const transport = createHttp2Transport({ baseUrl: server.url });
  const res = await transport.request(post(`${server.url}/twice`, undefined));
  assert.is(text(await res.body.readAll(10)), "x");
  await expectCode(res.body.readAll(10), Code.Internal, "second read");
  res.body.cancel();
  res.body.cancel();
  await transport.close();
});

test("requests after close() are refused", async () => {
  const transport = createHttp2Transport({ baseUrl: server.url });
  await transport.close();
  await expectCode(
    transport.request(post(`${server.url}/echo`, bytes(""))),
    Code.Unavailable,
    "closed",
  );
});

test("await using closes the transport; close() may be called again", async () => {
  let disposed: ReturnType<typeof createHttp2Transport> | undefined;
  {
    await using transport = createHttp2Transport({ baseUrl: server.url });
    disposed = transport;
  }
  await expectCode(
    disposed.request(post(`${server.url}/x`, bytes(""))),
    Code.Unavailable,
    "disposed",
  );
  const again = createHttp2Transport({ baseUrl: server.url });
  await again.close();
  await again.close();
  await again[Symbol.asyncDispose]();
});

test("nothing is left open", async () => {
  await server.close();
  await assertNoLeaks(baseline);
});

test.run();
