import { constants, type ServerHttp2Stream } from "node:http2";
import { createServer as createTcpServer, type Socket } from "node:net";
import { Code, ConnectError, type HttpRequest, Metadata } from "@connect-ts/protocol";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createHttp2Transport } from "../src/index.js";
import { readStream, startH2Server } from "./helpers/h2-server.js";
import { assertNoLeaks, resourceBaseline } from "./helpers/leaks.js";
import { bytes, Channel, sleep, text, within } from "./helpers/util.js";

const baseline = resourceBaseline();

function post(
  url: string,
  body: HttpRequest["body"],
  signal = new AbortController().signal,
): HttpRequest {
  return { method: "POST", url, headers: new Metadata(), body, signal };
}

/** A server that echoes unary bodies and holds `/hold` streams until released. */
async function holdingServer(settings?: { maxConcurrentStreams?: number }) {
  const held: ServerHttp2Stream[] = [];
  const server = await startH2Server(
    (stream, headers) => {
      if (headers[":path"] === "/hold") {
        stream.respond({ ":status": 200 });
        stream.write("started");
        held.push(stream);
        return;
      }
      void readStream(stream).then((body) => {
        stream.respond({ ":status": 200 });
        stream.end(body);
      });
    },
    { settings },
  );
  const releaseAll = () => {
    for (const stream of held.splice(0)) stream.end("done");
  };
  return { server, held, releaseAll };
}

test("MAX_CONCURRENT_STREAMS=1: a second call opens a second session", async () => {
  const { server, releaseAll } = await holdingServer({ maxConcurrentStreams: 1 });
  const transport = createHttp2Transport({ baseUrl: server.url });
  // Settle the first session so that its limit is known.
  await (await transport.request(post(`${server.url}/echo`, bytes("warm")))).body.readAll(100);
  assert.is(server.accepted(), 1);
  const first = await transport.request(post(`${server.url}/hold`, bytes("")));
  const second = await within(
    transport.request(post(`${server.url}/hold`, bytes(""))),
    2000,
    "second",
  );
  assert.is(server.accepted(), 2);
  assert.is(transport.sessionCount, 2);
  releaseAll();
  assert.is(text(await first.body.readAll(100)), "starteddone");
  assert.is(text(await second.body.readAll(100)), "starteddone");
  await transport.close();
  assert.is(transport.sessionCount, 0);
  await server.close();
});

test("a burst before the peer's SETTINGS arrive does not overrun its limit", async () => {
  const { server, held, releaseAll } = await holdingServer({ maxConcurrentStreams: 2 });
  const transport = createHttp2Transport({ baseUrl: server.url });
  const calls = Array.from({ length: 5 }, () =>
    transport.request(post(`${server.url}/hold`, bytes(""))),
  );
  const responses = await within(Promise.all(calls), 3000, "all five");
  // Two streams per session at most: three sessions, none refused a stream.
  assert.is(server.accepted(), 3);
  assert.is(held.length, 5);
  releaseAll();
  for (const res of responses) assert.is(text(await res.body.readAll(100)), "starteddone");
  await transport.close();
  await server.close();
});

test("a burst of 200 calls over a limit of 50 streams per session", async () => {
  // The most streams open at once on any one session, as the server saw them.
  const open = new Map<unknown, number>();
  let mostOpen = 0;
  const server = await startH2Server(
    (stream) => {
      const session = stream.session;
      const count = (open.get(session) ?? 0) + 1;
      open.set(session, count);
      mostOpen = Math.max(mostOpen, count);
      stream.on("close", () => open.set(session, open.get(session)! - 1));
      void readStream(stream).then((body) => {
        // Answer a little later, so that the calls really overlap.
        setTimeout(() => {
          stream.respond({ ":status": 200 });
          stream.end(body);
        }, 5);
      });
    },
    { settings: { maxConcurrentStreams: 50 } },
  );
  const transport = createHttp2Transport({ baseUrl: server.url });
  const calls = Array.from({ length: 200 }, async (_, i) => {
    const res = await transport.request(post(`${server.url}/echo`, bytes(String(i))));
    return text(await res.body.readAll(100));
  });
  const answers = await within(Promise.all(calls), 5000, "burst");
  assert.equal(
    answers,
    Array.from({ length: 200 }, (_, i) => String(i)),
  );
  // Sessions open one after another as each learns the limit; early calls
  // finish meanwhile, so three to five sessions carry the 200.
  assert.ok(server.accepted() >= 3 && server.accepted() <= 5, `${server.accepted()} sessions`);
  assert.ok(mostOpen <= 50, `${mostOpen} streams open at once on one session`);
  assert.ok(mostOpen >= 25, `only ${mostOpen} streams open at once: calls did not overlap`);
  await transport.close();
  await server.close();
});

test("maxSessions: past the limit, calls wait for a free stream instead of failing", async () => {
  const { server, held } = await holdingServer({ maxConcurrentStreams: 1 });
  const transport = createHttp2Transport({ baseUrl: server.url, maxSessions: 1 });
  const first = await transport.request(post(`${server.url}/hold`, bytes("")));
  let secondDone = false;
  const second = transport.request(post(`${server.url}/echo`, bytes("queued"))).then((res) => {
    secondDone = true;
    return res;
  });
  await sleep(100);
  assert.is(secondDone, false);
  assert.is(server.accepted(), 1);
  held[0]!.end("done");
  await first.body.readAll(100);
  assert.is(text(await (await within(second, 2000, "queued call")).body.readAll(100)), "queued");
  // A waiting call can also be aborted.
  const third = await transport.request(post(`${server.url}/hold`, bytes("")));
  const controller = new AbortController();
  const waiting = transport.request(post(`${server.url}/echo`, bytes("x"), controller.signal));
  controller.abort();
  try {
    await within(waiting, 1000, "aborted waiter");
    assert.unreachable("should be canceled");
  } catch (error) {
    assert.is((error as ConnectError).code, Code.Canceled);
  }
  held[1]!.end();
  await third.body.readAll(100);
  await transport.close();
  await server.close();
});

test("GOAWAY: in-flight calls finish on the old session, new calls open a new one", async () => {
  const { server, held } = await holdingServer();
  const transport = createHttp2Transport({ baseUrl: server.url });
  const inflight = await transport.request(post(`${server.url}/hold`, bytes("")));
  const requests = new Channel<Uint8Array>();
  // A full-duplex call whose request body is still open during the GOAWAY.
  const duplex = await transport.request(post(`${server.url}/hold`, requests));
  const [session] = [...server.sessions];
  session!.close(); // graceful: GOAWAY, then close after the open streams
  await sleep(50);
  const later = await within(
    transport.request(post(`${server.url}/echo`, bytes("later"))),
    2000,
    "later",
  );
  assert.is(text(await later.body.readAll(100)), "later");
  assert.is(server.accepted(), 2);
  requests.push(bytes("more"));
  requests.end();
  held[0]!.end("done");
  held[1]!.end("done");
  assert.is(text(await inflight.body.readAll(100)), "starteddone");
  assert.is(text(await duplex.body.readAll(100)), "starteddone");
  await transport.close();
  await server.close();
});

test("a session killed while idle is replaced on the next call, without an error", async () => {
  const { server } = await holdingServer();
  const transport = createHttp2Transport({ baseUrl: server.url });
  const call = async (body: string) =>
    text(
      await (await transport.request(post(`${server.url}/echo`, bytes(body)))).body.readAll(100),
    );
  assert.is(await call("one"), "one");
  server.dropConnections();
  // No pause: the next call may race the client noticing the dead connection.
  assert.is(await within(call("two"), 2000, "after drop"), "two");
  await sleep(20);
  server.dropConnections();
  await sleep(50);
  assert.is(await within(call("three"), 2000, "after drop and pause"), "three");
  // A GOAWAY while idle is not an error for the next call either.
  for (const session of server.sessions) session.close();
  assert.is(await within(call("four"), 2000, "after goaway"), "four");
  assert.is(server.accepted(), 4);
  await transport.close();
  await server.close();
});

test("REFUSED_STREAM: a unary call is sent again; a streaming one fails with unavailable", async () => {
  let refusals = 0;
  const server = await startH2Server((stream, headers) => {
    if (headers["x-refuse"] === "always" || refusals === 0) {
      refusals++;
      stream.close(constants.NGHTTP2_REFUSED_STREAM);
      return;
    }
    void readStream(stream).then((body) => {
      stream.respond({ ":status": 200 });
      stream.end(body);
    });
  });
  const transport = createHttp2Transport({ baseUrl: server.url });
  const res = await within(
    transport.request(post(`${server.url}/x`, bytes("again"))),
    2000,
    "retried",
  );
  assert.is(text(await res.body.readAll(100)), "again");
  assert.is(refusals, 1);
  const requests = new Channel<Uint8Array>();
  requests.push(bytes("once"));
  requests.end();
  const streaming: HttpRequest = {
    ...post(`${server.url}/x`, requests),
    headers: new Metadata({ "x-refuse": "always" }),
  };
  try {
    await within(transport.request(streaming), 2000, "streaming");
    assert.unreachable("should fail");
  } catch (error) {
    assert.is((error as ConnectError).code, Code.Unavailable, String(error));
  }
  // A unary call that is always refused gives up after a bounded number of attempts.
  const refused = {
    ...post(`${server.url}/x`, bytes("")),
    headers: new Metadata({ "x-refuse": "always" }),
  };
  try {
    await within(transport.request(refused), 2000, "always refused");
    assert.unreachable("should fail");
  } catch (error) {
    assert.is((error as ConnectError).code, Code.Unavailable, String(error));
  }
  assert.is(refusals, 5);
  await transport.close();
  await server.close();
});

test("GOAWAY naming an earlier last stream: later streams are sent again on a new session", async () => {
  const { server, held } = await holdingServer();
  const transport = createHttp2Transport({ baseUrl: server.url });
  const first = await transport.request(post(`${server.url}/hold`, bytes("")));
  let goawaySent = false;
  server.server.on("stream", (stream) => {
    if (goawaySent) return;
    goawaySent = true;
    // Only stream 1 will be processed; this one (stream 3) must be retried elsewhere.
    stream.session?.goaway(constants.NGHTTP2_NO_ERROR, 1);
  });
  const second = await within(
    transport.request(post(`${server.url}/echo`, bytes("moved"))),
    2000,
    "moved",
  );
  assert.is(text(await second.body.readAll(100)), "moved");
  assert.is(server.accepted(), 2);
  held[0]!.end("done");
  assert.is(text(await first.body.readAll(100)), "starteddone");
  await transport.close();
  await server.close();
});

test("an idle session closes after idleTimeoutMs and the next call reconnects", async () => {
  const { server } = await holdingServer();
  const transport = createHttp2Transport({ baseUrl: server.url, idleTimeoutMs: 100 });
  await (await transport.request(post(`${server.url}/echo`, bytes("a")))).body.readAll(10);
  assert.is(transport.sessionCount, 1);
  await sleep(250);
  assert.is(transport.sessionCount, 0);
  assert.is(server.sessions.size, 0);
  await (await transport.request(post(`${server.url}/echo`, bytes("b")))).body.readAll(10);
  assert.is(server.accepted(), 2);
  await transport.close();
  await server.close();
});

test("an idle session does not keep the process alive", async () => {
  const { server } = await holdingServer();
  const transport = createHttp2Transport({
    baseUrl: server.url,
    pingIntervalMs: 50,
    pingIdle: true,
  });
  await (await transport.request(post(`${server.url}/echo`, bytes("a")))).body.readAll(10);
  // The only handles the session holds must be unref'd: none may count as active.
  const refed = process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;
  await sleep(120); // pings went out and were answered
  assert.is(transport.sessionCount, 1);
  const info = process.getActiveResourcesInfo();
  assert.ok(info.filter((kind) => kind === "Timeout").length <= refed, info.join(","));
  await transport.close();
  await server.close();
});

/** A peer that completes the HTTP/2 handshake, then ignores everything: no PING answers. */
async function deafPeer() {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
    // An empty SETTINGS frame, and an ACK of the client's.
    socket.write(Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0]));
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

test("keepalive: an unanswered PING fails in-flight calls with unavailable", async () => {
  const peer = await deafPeer();
  const transport = createHttp2Transport({
    baseUrl: peer.url,
    pingIntervalMs: 50,
    pingTimeoutMs: 100,
  });
  const started = performance.now();
  try {
    await within(transport.request(post(`${peer.url}/x`, bytes(""))), 2000, "request");
    assert.unreachable("should fail");
  } catch (error) {
    assert.instance(error, ConnectError);
    assert.is((error as ConnectError).code, Code.Unavailable);
    assert.match((error as ConnectError).message, /PING/);
  }
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 140 && elapsed < 1000, `failed after ${elapsed} ms`);
  await sleep(20);
  assert.is(transport.sessionCount, 0);
  await transport.close();
  await peer.close();
});

test("keepalive is off by default: a call to a deaf peer waits for its own deadline", async () => {
  const peer = await deafPeer();
  const transport = createHttp2Transport({ baseUrl: peer.url });
  try {
    await within(
      transport.request(post(`${peer.url}/x`, bytes(""), AbortSignal.timeout(200))),
      2000,
      "request",
    );
    assert.unreachable("should fail");
  } catch (error) {
    assert.is((error as ConnectError).code, Code.DeadlineExceeded);
  }
  await transport.close();
  await peer.close();
});

test("a URL on another origin gets a pool of its own, which close() closes too", async () => {
  const a = await holdingServer();
  const b = await holdingServer();
  const transport = createHttp2Transport({ baseUrl: `${a.server.url}/api/v1` });
  for (const server of [a.server, b.server]) {
    const res = await transport.request(post(`${server.url}/echo?x=1`, bytes(server.url)));
    assert.is(text(await res.body.readAll(100)), server.url);
    assert.is(server.sessions.size, 1);
  }
  await transport.close();
  // The servers notice the connections closing a moment later.
  for (let i = 0; i < 50 && a.server.sessions.size + b.server.sessions.size > 0; i++) {
    await sleep(10);
  }
  assert.is(a.server.sessions.size + b.server.sessions.size, 0);
  await a.server.close();
  await b.server.close();
});

test("close() lets in-flight calls finish, then closes the sessions", async () => {
  const { server, held } = await holdingServer();
  const transport = createHttp2Transport({ baseUrl: server.url });
  const inflight = await transport.request(post(`${server.url}/hold`, bytes("")));
  let closed = false;
  const closing = transport.close().then(() => {
    closed = true;
  });
  await sleep(50);
  assert.is(closed, false);
  held[0]!.end("done");
  assert.is(text(await inflight.body.readAll(100)), "starteddone");
  await within(closing, 2000, "close");
  for (let i = 0; i < 50 && server.sessions.size > 0; i++) await sleep(10);
  assert.is(server.sessions.size, 0);
  await server.close();
});

test("nothing is left open", async () => {
  await assertNoLeaks(baseline);
});

test.run();
