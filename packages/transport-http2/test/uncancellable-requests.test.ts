import type { ServerHttp2Stream } from "node:http2";
import {
  Code,
  ConnectError,
  type HttpRequest,
  Metadata,
  type Transport,
} from "@connect-ts/protocol";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createHttp2Transport } from "../src/index.js";
import { readStream, startH2Server } from "./helpers/h2-server.js";
import { assertNoLeaks, resourceBaseline } from "./helpers/leaks.js";
import { bytes, text, within } from "./helpers/util.js";

const baseline = resourceBaseline();

function offeredSignal(transport: Transport): AbortSignal {
  const signal = transport.uncancellableSignal;
  assert.instance(signal, AbortSignal);
  return signal as AbortSignal;
}

function post(url: string, body: Uint8Array, signal: AbortSignal): HttpRequest {
  return { method: "POST", url, headers: new Metadata(), body, signal };
}

test("the transport offers a live signal that nobody can abort", () => {
  const transport = createHttp2Transport({ baseUrl: "http://127.0.0.1:1" });
  const signal = offeredSignal(transport);
  assert.not.ok(signal.aborted);
  assert.is(offeredSignal(transport), signal);
});

test("many requests at once on the offered signal, before and after SETTINGS, attach no listener to it", async () => {
  const held: ServerHttp2Stream[] = [];
  const server = await startH2Server((stream) => {
    void readStream(stream).then((body) => {
      stream.respond({ ":status": 200 });
      stream.write(body);
      held.push(stream);
    });
  });
  const transport = createHttp2Transport({ baseUrl: server.url });
  const signal = offeredSignal(transport);
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  process.on("warning", onWarning);
  try {
    // The first 40 wait in the pool for the new session's SETTINGS, the next 40 go straight out.
    const calls = [];
    for (let i = 0; i < 40; i++) {
      calls.push(transport.request(post(`${server.url}/a`, bytes(`a${i}`), signal)));
    }
    const first = await within(Promise.all(calls), 5000, "first batch");
    for (let i = 0; i < 40; i++) {
      calls.push(transport.request(post(`${server.url}/b`, bytes(`b${i}`), signal)));
    }
    const responses = await within(Promise.all(calls), 5000, "second batch");
    assert.is(first.length, 40);
    for (const stream of held.splice(0)) stream.end("!");
    const bodies = await Promise.all(responses.map((r) => r.body.readAll(100)));
    assert.is(text(bodies[0]!), "a0!");
    assert.is(text(bodies[79]!), "b39!");
    // Let a warning, which Node emits on the next tick, arrive.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(
      warnings.map((w) => w.message),
      [],
    );
  } finally {
    process.off("warning", onWarning);
    await transport.close();
    await server.close();
  }
});

test("a failure on the offered signal still settles with the right code", async () => {
  const server = await startH2Server((stream) => {
    stream.close(0x7 /* REFUSED_STREAM */);
  });
  const transport = createHttp2Transport({ baseUrl: server.url });
  const err = await transport
    .request(post(`${server.url}/x`, bytes("x"), offeredSignal(transport)))
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  assert.instance(err, ConnectError);
  assert.is((err as ConnectError).code, Code.Unavailable);
  await transport.close();
  await server.close();
});

test("no leaks", async () => {
  await assertNoLeaks(baseline);
});

test.run();
