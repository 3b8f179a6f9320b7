import { getEventListeners } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer as createTcpServer } from "node:net";
import { Code, ConnectError, type HttpRequest, Metadata } from "@connect-ts/protocol";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createHttp1Transport } from "../src/index.js";
import { readRequest, startH1Server, type TestH1Server } from "./helpers/h1-server.js";
import { assertNoLeaks, resourceBaseline } from "./helpers/leaks.js";
import { bytes, Channel, sleep, text, within } from "./helpers/util.js";

const baseline = resourceBaseline();
let server: TestH1Server;
type Route = (req: IncomingMessage, res: ServerResponse) => void;
const routes = new Map<string, Route>();

function post(
  url: string,
  body: HttpRequest["body"],
  signal = new AbortController().signal,
  headers = new Metadata(),
): HttpRequest {
  return { method: "POST", url, headers, body, signal };
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
  server = await startH1Server((req, res) => {
    const route = routes.get((req.url ?? "").split("?")[0]!);
    if (route === undefined) {
      res.writeHead(404).end();
      return;
    }
    route(req, res);
  });
});

test("unary: body, headers and content-length round trip", async () => {
  routes.set("/echo", (req, res) => {
    void readRequest(req).then((body) => {
      res.setHeader("x-content-length", String(req.headers["content-length"]));
      res.setHeader("x-transfer-encoding", String(req.headers["transfer-encoding"]));
      res.setHeader("x-custom", String(req.headers["x-custom"]));
      res.setHeader("x-multi", ["a", "b"]);
      res.end(body);
    });
  });
  const transport = createHttp1Transport({ baseUrl: server.url });
  assert.is(transport.httpVersion, "1.1");
  assert.is(transport.fullDuplex, false);
  const headers = new Metadata({
    "x-custom": "hello",
    connection: "upgrade",
    "content-length": "99",
  });
  const res = await transport.request(
    post(`${server.url}/echo`, bytes("ping"), undefined, headers),
  );
  assert.is(res.status, 200);
  assert.is(res.headers.get("x-content-length"), "4");
  assert.is(res.headers.get("x-transfer-encoding"), "undefined");
  assert.is(res.headers.get("x-custom"), "hello");
  assert.equal(res.headers.getAll("x-multi"), ["a", "b"]);
  assert.is(text(await res.body.readAll(1024)), "ping");
  await transport.close();
});

test("GET with a query, and keep-alive reuses one connection", async () => {
  routes.set("/get", (req, res) => res.end(`${req.method} ${req.url}`));
  const transport = createHttp1Transport({ baseUrl: server.url });
  const before = server.accepted();
  for (let i = 0; i < 10; i++) {
    const res = await transport.request({
      method: "GET",
      url: `${server.url}/get?message=${i}`,
      headers: new Metadata(),
      body: undefined,
      signal: new AbortController().signal,
    });
    assert.is(text(await res.body.readAll(1024)), `GET /get?message=${i}`);
  }
  // undici holds a connection back for one event-loop turn after its first
  // response, so a call sent right then may open a second; no more after that.
  assert.ok(server.accepted() - before <= 2, `${server.accepted() - before} connections`);
  await transport.close();
});

test("chunked trailers are delivered once the body ends", async () => {
  routes.set("/trailers", (_req, res) => {
    res.writeHead(200, { trailer: "grpc-status, x-t" });
    res.write("body");
    res.addTrailers({ "grpc-status": "0", "x-t": "done" });
    res.end();
  });
  const transport = createHttp1Transport({ baseUrl: server.url });
  const res = await transport.request(post(`${server.url}/trailers`, bytes("")));
  assert.is(text(await res.body.readAll(100)), "body");
  assert.is(res.trailers.get("grpc-status"), "0");
  assert.is(res.trailers.get("x-t"), "done");
  await transport.close();
});

test("server stream: each chunk arrives as it is sent", async () => {
  let sendNext: (() => void) | undefined;
  routes.set("/server-stream", (_req, res) => {
    res.writeHead(200);
    res.flushHeaders();
    let n = 0;
    sendNext = () => {
      n++;
      if (n <= 3) res.write(`chunk${n}`);
      else res.end();
    };
    sendNext();
  });
  const transport = createHttp1Transport({ baseUrl: server.url });
  const res = await transport.request(post(`${server.url}/server-stream`, bytes("")));
  const iterator = res.body[Symbol.asyncIterator]();
  for (let i = 1; i <= 3; i++) {
    const next = await within(iterator.next(), 2000, `chunk ${i}`);
    assert.is(text(next.value as Uint8Array), `chunk${i}`);
    sendNext!();
  }
  assert.is((await within(iterator.next(), 2000, "end")).done, true);
  await transport.close();
});

test("client stream: chunks go out as produced; a server that stops reading holds the producer back", async () => {
  let serverReq: IncomingMessage | undefined;
  let serverRes: ServerResponse | undefined;
  const firstChunk = new Promise<Buffer>((resolve) => {
    routes.set("/client-stream", (req, res) => {
      serverReq = req;
      serverRes = res;
      req.once("data", (chunk: Buffer) => {
        req.pause();
        resolve(chunk);
      });
    });
  });
  const transport = createHttp1Transport({ baseUrl: server.url });
  let pulled = 0;
  const chunk = new Uint8Array(16 * 1024);
  async function* produce() {
    for (let i = 0; i < 3000; i++) {
      pulled++;
      yield chunk;
    }
  }
  const responsePromise = transport.request(post(`${server.url}/client-stream`, produce()));
  const first = await within(firstChunk, 2000, "first chunk");
  await sleep(300);
  // Socket buffers on both sides hold a few MB at most, far below 10 000 chunks.
  assert.ok(pulled < 1000, `pulled ${pulled} chunks while the server was not reading`);
  let received = first.length;
  serverReq!.on("data", (c: Buffer) => {
    received += c.length;
  });
  serverReq!.on("end", () => serverRes!.end(String(received)));
  serverReq!.resume();
  const res = await within(responsePromise, 10_000, "response");
  assert.is(Number(text(await res.body.readAll(100))), 3000 * 16 * 1024);
  assert.is(pulled, 3000);
  await transport.close();
});

test("a slow reader holds the server back", async () => {
  const chunk = new Uint8Array(16 * 1024);
  const total = 1200; // 19 MiB
  let sent = 0;
  routes.set("/firehose", (_req, res) => {
    res.writeHead(200);
    const pump = () => {
      while (sent < total) {
        sent++;
        if (!res.write(chunk)) {
          res.once("drain", pump);
          return;
        }
      }
      res.end();
    };
    pump();
  });
  const transport = createHttp1Transport({ baseUrl: server.url });
  const res = await transport.request(post(`${server.url}/firehose`, bytes("")));
  const iterator = res.body[Symbol.asyncIterator]();
  let received = ((await iterator.next()).value as Uint8Array).byteLength;
  await sleep(300);
  // Socket buffers on both ends hold a few MiB at most, far below the 1200 chunks.
  assert.ok(sent < 600, `the server sent ${sent} chunks to a reader that was not reading`);
  for (;;) {
    const next = await within(iterator.next(), 5000, "rest of the body");
    if (next.done === true) break;
    received += next.value.byteLength;
  }
  assert.is(received, total * 16 * 1024);
  await transport.close();
});

test("half duplex: a streamed request is sent whole, then the response is read", async () => {
  routes.set("/bidi", (req, res) => {
    void readRequest(req).then((body) => {
      res.writeHead(200);
      for (const part of body.toString().split(",")) res.write(`echo:${part};`);
      res.end();
    });
  });
  const transport = createHttp1Transport({ baseUrl: server.url });
  const requests = new Channel<Uint8Array>();
  const responsePromise = transport.request(post(`${server.url}/bidi`, requests));
  requests.push(bytes("a,"));
  requests.push(bytes("b,"));
  requests.push(bytes("c"));
  let answered = false;
  void responsePromise.then(() => {
    answered = true;
  });
  await sleep(50);
  assert.is(answered, false); // the server waits for the whole request
  requests.end();
  const res = await within(responsePromise, 2000, "response");
  assert.is(text(await res.body.readAll(100)), "echo:a;echo:b;echo:c;");
  await transport.close();
});

test("readAll fails with resource_exhausted past the limit and drops the connection", async () => {
  let serverClosed!: Promise<void>;
  routes.set("/big", (req, res) => {
    serverClosed = new Promise((resolve) => res.on("close", resolve));
    res.writeHead(200);
    res.write(new Uint8Array(600));
    res.write(new Uint8Array(600)); // and never ends
    void req;
  });
  const transport = createHttp1Transport({ baseUrl: server.url });
  const res = await transport.request(post(`${server.url}/big`, bytes("")));
  await expectCode(res.body.readAll(1000), Code.ResourceExhausted, "readAll");
  await within(serverClosed, 2000, "server saw the connection close");
  await transport.close();
});

test("readAll refuses a body whose content-length is over the limit without waiting for it", async () => {
  routes.set("/declared", (_req, res) => {
    res.writeHead(200, { "content-length": "100000" });
    res.write("only this, and then nothing for a long time");
  });
  const transport = createHttp1Transport({ baseUrl: server.url });
  const res = await transport.request(post(`${server.url}/declared`, bytes("")));
  const started = performance.now();
  await expectCode(res.body.readAll(1000), Code.ResourceExhausted, "declared too large");
  assert.ok(performance.now() - started < 100);
  await transport.close();
});

test("abort before the response: canceled at once, the connection is dropped", async () => {
  let serverClosed!: Promise<void>;
  routes.set("/hang", (_req, res) => {
    serverClosed = new Promise((resolve) => res.on("close", resolve));
  });
  const transport = createHttp1Transport({ baseUrl: server.url });
  const controller = new AbortController();
  const promise = transport.request(post(`${server.url}/hang`, bytes("x"), controller.signal));
  await sleep(50);
  const started = performance.now();
  controller.abort();
  await expectCode(promise, Code.Canceled, "aborted request");
  assert.ok(performance.now() - started < 100);
  await within(serverClosed, 2000, "server saw the abort");
  await expectCode(
    transport.request(post(`${server.url}/hang`, bytes(""), AbortSignal.timeout(50))),
    Code.DeadlineExceeded,
    "request after timeout",
  );
  await transport.close();
});

test("after an abort, chunks that had already arrived are not delivered", async () => {
  routes.set("/three", (_req, res) => {
    res.writeHead(200);
    res.write("1");
    setTimeout(() => res.write("2"), 5);
    setTimeout(() => res.write("3"), 10);
  });
  const transport = createHttp1Transport({ baseUrl: server.url });
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
  routes.set("/slow-stream", (_req, res) => {
    res.writeHead(200);
    res.write("first");
  });
  const transport = createHttp1Transport({ baseUrl: server.url });
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
  await transport.close();
});

test("abort while the request producer is idle: canceled at once, the producer is told to finish", async () => {
  routes.set("/sink", (req, res) => {
    void readRequest(req).then(
      () => res.end("done"),
      () => {},
    );
  });
  const transport = createHttp1Transport({ baseUrl: server.url });
  const controller = new AbortController();
  const requests = new Channel<Uint8Array>();
  requests.push(bytes("a"));
  const promise = transport.request(post(`${server.url}/sink`, requests, controller.signal));
  await sleep(50);
  assert.is(requests.taken, 1);
  controller.abort();
  await expectCode(promise, Code.Canceled, "request");
  await sleep(20);
  requests.push(bytes("b"));
  await sleep(20);
  assert.is(requests.taken, 1);
  await transport.close();
});

test("a request body whose producer fails fails the request with the producer's error", async () => {
  routes.set("/sink2", (req, res) => {
    void readRequest(req).then(
      () => res.end("done"),
      () => {},
    );
  });
  const transport = createHttp1Transport({ baseUrl: server.url });
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
  async function* throwsPlain() {
    yield bytes("a");
    throw new Error("plain");
  }
  await expectCode(
    transport.request(post(`${server.url}/sink2`, throwsPlain())),
    Code.Unknown,
    "plain",
  );
  await transport.close();
});

test("a server that answers before the request body ends: the answer is read, the producer is stopped", async () => {
  routes.set("/early", (_req, res) => res.end("early answer"));
  const transport = createHttp1Transport({ baseUrl: server.url });
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

test("the server dropping the connection mid-stream ends the body with unavailable", async () => {
  routes.set("/drop", (_req, res) => {
    res.writeHead(200);
    res.write("some", () => setTimeout(() => server.dropConnections(), 10));
  });
  routes.set("/drop-sized", (_req, res) => {
    res.writeHead(200, { "content-length": "100" });
    res.write("some", () => setTimeout(() => server.dropConnections(), 10));
  });
  const transport = createHttp1Transport({ baseUrl: server.url });
  for (const path of ["/drop", "/drop-sized"]) {
    const res = await transport.request(post(`${server.url}${path}`, bytes("")));
    const chunks: string[] = [];
    await expectCode(
      (async () => {
        for await (const chunk of res.body) chunks.push(text(chunk));
      })(),
      Code.Unavailable,
      path,
    );
    assert.equal(chunks, ["some"]);
  }
  await transport.close();
});

test("a malformed header is invalid_argument", async () => {
  const transport = createHttp1Transport({ baseUrl: server.url });
  for (const [name, value] of [
    ["bad name", "v"],
    ["x-ok", "line\nbreak"],
  ]) {
    const headers = new Metadata([[name!, value!]]);
    await expectCode(
      transport.request(post(`${server.url}/echo`, bytes(""), undefined, headers)),
      Code.InvalidArgument,
      JSON.stringify([name, value]),
    );
  }
  const res = await transport.request(post(`${server.url}/echo`, bytes("still fine")));
  assert.is(text(await res.body.readAll(100)), "still fine");
  await transport.close();
});

test("no listener is left on a shared signal, whatever way the calls end", async () => {
  routes.set("/ok", (_req, res) => res.end("ok"));
  routes.set("/long", (_req, res) => {
    res.writeHead(200);
    res.write(new Uint8Array(2000));
  });
  const transport = createHttp1Transport({ baseUrl: server.url });
  const signal = new AbortController().signal;
  for (let i = 0; i < 20; i++) {
    const ok = await transport.request(post(`${server.url}/ok`, bytes(""), signal));
    await ok.body.readAll(10);
    const long = await transport.request(post(`${server.url}/long`, bytes(""), signal));
    await long.body.readAll(100).catch(() => {});
    const canceled = await transport.request(post(`${server.url}/long`, bytes(""), signal));
    canceled.body.cancel();
  }
  await sleep(50);
  assert.is(getEventListeners(signal, "abort").length, 0);
  await transport.close();
});

test("malformed HTTP from the peer is internal", async () => {
  const bad = createTcpServer((socket) => {
    socket.on("error", () => {});
    socket.once("data", () => socket.end("HTTP/1.1 200 OK\r\ncontent-length: nope\r\n\r\n"));
  });
  await new Promise<void>((resolve) => bad.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(bad.address() as { port: number }).port}`;
  const transport = createHttp1Transport({ baseUrl: url });
  await expectCode(transport.request(post(`${url}/x`, bytes(""))), Code.Internal, "malformed");
  await transport.close();
  await new Promise((resolve) => bad.close(resolve));
});

test("connection refused is unavailable, with the socket error as cause", async () => {
  const probe = createTcpServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  const transport = createHttp1Transport({ baseUrl: `http://127.0.0.1:${port}` });
  const error = await expectCode(
    transport.request(post(`http://127.0.0.1:${port}/x`, bytes(""))),
    Code.Unavailable,
    "refused",
  );
  assert.is((error.cause as { code?: string }).code, "ECONNREFUSED");
  await transport.close();
});

test("connect timeout is unavailable", async () => {
  const silent = createTcpServer((socket) => socket.on("error", () => {}).resume());
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const url = `https://127.0.0.1:${(silent.address() as { port: number }).port}`;
  const transport = createHttp1Transport({ baseUrl: url, connectTimeoutMs: 100 });
  await expectCode(transport.request(post(`${url}/x`, bytes(""))), Code.Unavailable, "timeout");
  await transport.close();
  await new Promise((resolve) => silent.close(resolve));
});

test("an idle keep-alive connection closes after keepAliveTimeoutMs", async () => {
  routes.set("/ok2", (_req, res) => res.end("ok"));
  const transport = createHttp1Transport({ baseUrl: server.url, keepAliveTimeoutMs: 150 });
  const before = server.open();
  const res = await transport.request(post(`${server.url}/ok2`, bytes("")));
  await res.body.readAll(10);
  await sleep(20);
  assert.is(server.open() - before, 1);
  await sleep(400);
  assert.is(server.open() - before, 0);
  await transport.close();
});

test("the pool holds at most `connections` sockets; more requests queue", async () => {
  const held: ServerResponse[] = [];
  routes.set("/hold", (_req, res) => {
    res.writeHead(200);
    res.flushHeaders();
    held.push(res);
  });
  const transport = createHttp1Transport({ baseUrl: server.url, connections: 2 });
  const before = server.accepted();
  const first = await transport.request(post(`${server.url}/hold`, bytes("")));
  const second = await transport.request(post(`${server.url}/hold`, bytes("")));
  let thirdStarted = false;
  const third = transport.request(post(`${server.url}/hold`, bytes(""))).then((res) => {
    thirdStarted = true;
    return res;
  });
  await sleep(100);
  assert.is(thirdStarted, false);
  assert.is(server.accepted() - before, 2);
  held[0]!.end("1");
  assert.is(text(await first.body.readAll(10)), "1");
  const thirdRes = await within(third, 2000, "third");
  held[1]!.end("2");
  held[2]!.end("3");
  assert.is(text(await second.body.readAll(10)), "2");
  assert.is(text(await thirdRes.body.readAll(10)), "3");
  assert.is(server.accepted() - before, 2);
  await transport.close();
});

test("a URL on another origin works too, and close() closes its connections", async () => {
  const other = await startH1Server((req, res) => res.end(`other ${req.url}`));
  const transport = createHttp1Transport({ baseUrl: `${server.url}/api/v1` });
  const res = await transport.request(post(`${other.url}/x?y=1`, bytes("")));
  assert.is(text(await res.body.readAll(100)), "other /x?y=1");
  assert.is(other.open(), 1);
  await transport.close();
  for (let i = 0; i < 50 && other.open() > 0; i++) await sleep(10);
  assert.is(other.open(), 0);
  await other.close();
});

test("close() lets in-flight requests finish; later requests are refused", async () => {
  const held: ServerResponse[] = [];
  routes.set("/hold2", (_req, res) => {
    res.writeHead(200);
    res.flushHeaders();
    held.push(res);
  });
  const transport = createHttp1Transport({ baseUrl: server.url });
  const inflight = await transport.request(post(`${server.url}/hold2`, bytes("")));
  let closed = false;
  const closing = transport.close().then(() => {
    closed = true;
  });
  await sleep(50);
  assert.is(closed, false);
  await expectCode(
    transport.request(post(`${server.url}/echo`, bytes(""))),
    Code.Unavailable,
    "after close",
  );
  held[0]!.end("done");
  assert.is(text(await inflight.body.readAll(10)), "done");
  await within(closing, 2000, "close");
});

test("await using closes the transport; close() may be called again", async () => {
  let disposed: ReturnType<typeof createHttp1Transport> | undefined;
  {
    await using transport = createHttp1Transport({ baseUrl: server.url });
    disposed = transport;
  }
  await expectCode(
    disposed.request(post(`${server.url}/x`, bytes(""))),
    Code.Unavailable,
    "disposed",
  );
  const again = createHttp1Transport({ baseUrl: server.url });
  await again.close();
  await again.close();
  await again[Symbol.asyncDispose]();
});

test("nothing is left open", async () => {
  await server.close();
  await assertNoLeaks(baseline);
});

test.run();
