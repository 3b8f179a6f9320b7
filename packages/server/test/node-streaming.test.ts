import { Code, ConnectError, Metadata, type ServerRequest } from "@connect-ts/protocol";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { openExchange } from "./helpers/exchange.js";
import { gate, sleep, within } from "./helpers/gate.js";
import { rawCall } from "./helpers/raw-client.js";
import { modes, routerOf, startServer } from "./helpers/servers.js";

const enc = new TextEncoder();
const dec = new TextDecoder();

for (const mode of modes) {
  test(`${mode}: a streaming answer sends its headers before the first message, trailers after the last`, async () => {
    const first = gate();
    const router = routerOf(async () => {
      const trailers = new Metadata();
      async function* body() {
        await first.promise;
        yield enc.encode("one;");
        yield enc.encode("two;");
        // Trailers may be filled in while the body runs: they are read at its end.
        trailers.set("x-count", "2");
      }
      return {
        status: 200,
        headers: new Metadata({ "content-type": "application/connect+proto" }),
        body: body(),
        trailers,
      };
    });
    const server = await startServer(router, mode);
    const ex = openExchange(server.url, mode, "/s/stream", { te: "trailers" });
    try {
      ex.request.end();
      const head = await within(2000, ex.head, "response headers");
      assert.is(head.status, 200);
      assert.is(head.headers["content-type"], "application/connect+proto");
      first.open();
      let text = "";
      for await (const chunk of ex.response()) text += dec.decode(chunk as Buffer);
      assert.is(text, "one;two;");
      const trailers = await within(2000, ex.trailers, "trailers");
      assert.is(trailers["x-count"], "2");
    } finally {
      ex.close();
      await server.close();
    }
  });

  test(`${mode}: a client that goes away mid-stream aborts the handler's signal and stops the body`, async () => {
    const aborted = gate<unknown>();
    const stopped = gate();
    const router = routerOf(async (req: ServerRequest) => {
      req.signal.addEventListener("abort", () => aborted.open(req.signal.reason), { once: true });
      async function* body() {
        try {
          for (let i = 0; i < 1000; i++) {
            yield enc.encode(`tick ${i};`);
            await sleep(5);
          }
        } finally {
          stopped.open();
        }
      }
      return { status: 200, headers: new Metadata(), body: body() };
    });
    const server = await startServer(router, mode);
    const ex = openExchange(server.url, mode, "/s/ticks");
    try {
      ex.request.end();
      await within(2000, ex.head, "response headers");
      // Read a little, then leave.
      await within(2000, new Promise((r) => ex.response().once("data", r)), "first message");
      ex.abort();
      const reason = await within(2000, aborted.promise, "signal abort");
      assert.instance(reason, ConnectError);
      assert.is((reason as ConnectError).code, Code.Canceled);
      await within(2000, stopped.promise, "body generator stopped");
      await within(
        2000,
        (async () => {
          while (server.handler.inFlight > 0) await sleep(5);
        })(),
        "call untracked",
      );
    } finally {
      ex.close();
      await server.close();
    }
  });

  test(`${mode}: a slow reader holds the writer back (backpressure)`, async () => {
    const chunk = new Uint8Array(256 * 1024);
    const total = 96;
    let produced = 0;
    const router = routerOf(async () => {
      async function* body() {
        for (let i = 0; i < total; i++) {
          produced++;
          yield chunk;
        }
      }
      return { status: 200, headers: new Metadata(), body: body() };
    });
    const server = await startServer(router, mode);
    const ex = openExchange(server.url, mode, "/s/big");
    try {
      ex.request.end();
      await within(2000, ex.head, "response headers");
      const res = ex.response();
      res.pause();
      await sleep(150);
      const whilePaused = produced;
      assert.ok(whilePaused < total / 2, `produced ${whilePaused} of ${total} chunks unread`);
      let received = 0;
      for await (const c of res) received += (c as Buffer).length;
      assert.is(received, total * chunk.length);
      assert.is(produced, total);
    } finally {
      ex.close();
      await server.close();
    }
  });

  test(`${mode}: a body that fails mid-stream ends the response as an error, not a clean end`, async () => {
    const router = routerOf(async () => {
      async function* body() {
        yield enc.encode("partial;");
        await sleep(10);
        throw new Error("producer failed");
      }
      return { status: 200, headers: new Metadata(), body: body() };
    });
    const server = await startServer(router, mode);
    const ex = openExchange(server.url, mode, "/s/fail");
    try {
      ex.request.end();
      await within(2000, ex.head, "response headers");
      ex.response().resume();
      const end = await within(2000, ex.ended, "end of exchange");
      if (mode.startsWith("h2")) assert.is(end.rstCode, 2, "RST_STREAM INTERNAL_ERROR");
      else assert.ok(end.error, "the connection closed before the chunked body ended");
    } finally {
      ex.close();
      await server.close();
    }
  });
}

test("h2c and h2-tls: full duplex, each answer arrives before the next request is sent", async () => {
  for (const mode of ["h2c", "h2-tls"] as const) {
    const router = routerOf(async (req) => {
      async function* echo() {
        for await (const chunk of req.body) yield enc.encode(`pong:${dec.decode(chunk)}`);
      }
      return { status: 200, headers: new Metadata(), body: echo() };
    });
    const server = await startServer(router, mode);
    const ex = openExchange(server.url, mode, "/s/duplex");
    try {
      await within(2000, ex.head, "response headers before any request message");
      const res = ex.response();
      for (let i = 0; i < 5; i++) {
        const answer = new Promise<string>((r) =>
          res.once("data", (c: Buffer) => r(dec.decode(c))),
        );
        ex.request.write(enc.encode(`ping${i}`));
        assert.is(await within(2000, answer, `pong ${i}`), `pong:ping${i}`);
      }
      ex.request.end();
      await within(2000, ex.ended, "end of exchange");
    } finally {
      ex.close();
      await server.close();
    }
  }
});

test("h2c: an answer complete while the client still sends resets the stream with NO_ERROR", async () => {
  const router = routerOf(async () => ({
    status: 200,
    headers: new Metadata(),
    body: enc.encode("early"),
  }));
  const server = await startServer(router, "h2c");
  const ex = openExchange(server.url, "h2c", "/s/early");
  try {
    ex.request.write(enc.encode("first part"));
    await within(2000, ex.head, "response headers");
    let text = "";
    for await (const c of ex.response()) text += dec.decode(c as Buffer);
    assert.is(text, "early");
    const end = await within(2000, ex.ended, "end of exchange");
    assert.is(end.rstCode, 0, "RST_STREAM NO_ERROR");
    assert.is(server.handler.inFlight, 0);
  } finally {
    ex.close();
    await server.close();
  }
});

test("h2c and h1: a request reset mid-upload fails the body read with canceled", async () => {
  for (const mode of ["h2c", "h1"] as const) {
    const failure = gate<unknown>();
    const reading = gate();
    const router = routerOf(async (req) => {
      try {
        for await (const _ of req.body) {
          // Keep reading until the client goes away.
          reading.open();
        }
        failure.open("clean end");
      } catch (err) {
        failure.open(err);
      }
      return { status: 200, headers: new Metadata(), body: undefined };
    });
    const server = await startServer(router, mode);
    const ex = openExchange(server.url, mode, "/s/upload");
    try {
      ex.request.write(enc.encode("part one"));
      await within(2000, reading.promise, `${mode}: the server reads`);
      // A reset without END_STREAM (HTTP/2) or a dropped socket (HTTP/1.1).
      ex.request.destroy(new Error("client gives up"));
      const err = await within(2000, failure.promise, `${mode}: the body read ends`);
      assert.instance(err, ConnectError, `${mode}: ${String(err)}`);
      assert.is((err as ConnectError).code, Code.Canceled);
    } finally {
      ex.close();
      await server.close();
    }
  }
});

test("h2c and h1: a handler that reads slowly holds the client's upload back, then gets every byte", async () => {
  for (const mode of ["h2c", "h1"] as const) {
    const reading = gate();
    const resume = gate();
    let received = 0;
    const router = routerOf(async (req) => {
      for await (const chunk of req.body) {
        received += chunk.byteLength;
        reading.open();
        // Stop after the first chunk until the test has looked at the client.
        await resume.promise;
      }
      return { status: 200, headers: new Metadata(), body: enc.encode(String(received)) };
    });
    const server = await startServer(router, mode);
    const ex = openExchange(server.url, mode, "/s/upload");
    const total = 16 * 1024 * 1024;
    const piece = new Uint8Array(64 * 1024);
    let flushed = 0;
    try {
      // Write it all at once; count what the transport takes off the client's hands.
      for (let sent = 0; sent < total; sent += piece.byteLength) {
        ex.request.write(piece, () => {
          flushed += piece.byteLength;
        });
      }
      ex.request.end();
      await within(2000, reading.promise, `${mode}: the server reads`);
      await sleep(300);
      // The server buffers about 64 KiB for a reader that is behind, then
      // pauses the stream; flow control (HTTP/2 windows, TCP) stops the rest.
      assert.ok(flushed < total / 2, `${mode}: ${flushed} of ${total} bytes left the client`);
      resume.open();
      await within(10_000, ex.head, `${mode}: response headers`);
      let text = "";
      for await (const c of ex.response()) text += dec.decode(c as Buffer);
      assert.is(text, String(total), `${mode}: the handler saw every byte`);
      assert.is(flushed, total);
    } finally {
      ex.close();
      await server.close();
    }
  }
});

test("h1: a gRPC stream announces its status trailers up front and sends them chunked", async () => {
  const router = routerOf(async () => {
    const trailers = new Metadata();
    async function* body() {
      yield new Uint8Array([0, 0, 0, 0, 0]);
      trailers.set("grpc-status", "0").set("grpc-message", "");
    }
    return {
      status: 200,
      headers: new Metadata({ "content-type": "application/grpc+proto" }),
      body: body(),
      trailers,
    };
  });
  const server = await startServer(router, "h1");
  try {
    const res = await rawCall(server.url, "h1", { path: "/g", headers: { te: "trailers" } });
    assert.is(res.headers.trailer, "grpc-status, grpc-message, grpc-status-details-bin");
    assert.is(res.headers["transfer-encoding"], "chunked");
    assert.is(res.trailers["grpc-status"], "0");
    assert.is(res.body.length, 5);
  } finally {
    await server.close();
  }
});

test("h2c: a router that throws synchronously answers internal, the server stays up", async () => {
  const router = routerOf((() => {
    throw new Error("not even a promise");
  }) as unknown as () => Promise<never>);
  const server = await startServer(router, "h2c");
  try {
    for (let i = 0; i < 2; i++) {
      const res = await rawCall(server.url, "h2c", {
        path: "/x",
        headers: { "content-type": "application/json" },
        body: new Uint8Array(0),
      });
      assert.is(res.status, 500);
      assert.is(JSON.parse(res.body.toString()).code, "internal");
    }
  } finally {
    await server.close();
  }
});

test("h1: half-duplex bidi, the whole request stream then the answers", async () => {
  const router = routerOf(async (req) => {
    const got: string[] = [];
    for await (const chunk of req.body) got.push(dec.decode(chunk));
    async function* answers() {
      for (const g of got) yield enc.encode(`re:${g};`);
    }
    return { status: 200, headers: new Metadata(), body: answers() };
  });
  const server = await startServer(router, "h1");
  const ex = openExchange(server.url, "h1", "/s/half");
  try {
    for (let i = 0; i < 3; i++) ex.request.write(enc.encode(`m${i}`));
    ex.request.end();
    await within(2000, ex.head, "response headers");
    let text = "";
    for await (const c of ex.response()) text += dec.decode(c as Buffer);
    // Chunks may coalesce on the way; the bytes must all be there, in order.
    assert.ok(text.startsWith("re:m"), text);
    assert.is(text.replace(/re:|;/g, ""), "m0m1m2");
  } finally {
    ex.close();
    await server.close();
  }
});

test.run();
