import { type HttpRequest, Metadata } from "@connect-ts/protocol";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createHttp2Transport } from "../src/index.js";
import { readStream, startH2Server } from "./helpers/h2-server.js";
import { assertNoLeaks, resourceBaseline } from "./helpers/leaks.js";
import { bytes, sleep, text } from "./helpers/util.js";

const baseline = resourceBaseline();

function post(url: string, body: Uint8Array): HttpRequest {
  return {
    method: "POST",
    url,
    headers: new Metadata(),
    body,
    signal: new AbortController().signal,
  };
}

async function echoServer() {
  return startH2Server((stream) => {
    void readStream(stream).then((body) => {
      stream.respond({ ":status": 200 });
      stream.end(body);
    });
  });
}

test("a session idle only between calls, for less than idleTimeoutMs each time, stays open", async () => {
  const server = await echoServer();
  const transport = createHttp2Transport({ baseUrl: server.url, idleTimeoutMs: 400 });
  // Calls 50 ms apart for 1.3 s: the session goes idle after each, and the
  // idle timeout passes three times over in all.
  const until = Date.now() + 1300;
  let calls = 0;
  while (Date.now() < until) {
    const res = await transport.request(post(`${server.url}/echo`, bytes(`c${calls}`)));
    assert.is(text(await res.body.readAll(100)), `c${calls}`);
    calls++;
    await sleep(50);
  }
  assert.ok(calls >= 5);
  assert.is(server.accepted(), 1);
  assert.is(transport.sessionCount, 1);
  await transport.close();
  await server.close();
});

test("a session busy with a long call when the idle timeout passes stays open, then closes once idle long enough", async () => {
  const server = await startH2Server((stream) => {
    void readStream(stream).then(async (body) => {
      stream.respond({ ":status": 200 });
      await sleep(text(body) === "slow" ? 500 : 0);
      stream.end(body);
    });
  });
  const transport = createHttp2Transport({ baseUrl: server.url, idleTimeoutMs: 200 });
  const quick = await transport.request(post(`${server.url}/echo`, bytes("quick")));
  await quick.body.readAll(100);
  // Idle from here: the timer is armed. A call starts before it fires and outlasts it.
  await sleep(20);
  const slow = await transport.request(post(`${server.url}/echo`, bytes("slow")));
  assert.is(text(await slow.body.readAll(100)), "slow");
  assert.is(transport.sessionCount, 1);
  await sleep(50);
  assert.is(transport.sessionCount, 1, "idle for half the timeout");
  await sleep(400);
  assert.is(transport.sessionCount, 0, "idle for more than the timeout");
  assert.is(server.accepted(), 1);
  await transport.close();
  await server.close();
});

test("no leaks", async () => {
  await assertNoLeaks(baseline);
});

test.run();
