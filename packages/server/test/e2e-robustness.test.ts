import type { ServerHttp2Session } from "node:http2";
import type { Socket } from "node:net";
import { Code, ConnectError, createClient } from "@connect-ts/protocol";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { sleep, within } from "./helpers/gate.js";
import { type Mode, startServer } from "./helpers/servers.js";
import { type Observed, TestService, testService } from "./helpers/test-service.js";
import { clientModes, transportFor } from "./helpers/transports.js";

// Deadlines, cancellation, connections lost mid-stream, GOAWAY, dead idle
// sessions, mTLS and graceful shutdown, with our clients against our server.

function observed(): Observed {
  return { aborts: [], countsEnded: 0, sumsEnded: [] };
}

async function until(what: string, ok: () => boolean): Promise<void> {
  await within(
    2000,
    (async () => {
      while (!ok()) await sleep(5);
    })(),
    what,
  );
}

async function collect<T>(it: AsyncIterable<T>): Promise<{ items: T[]; error: unknown }> {
  const items: T[] = [];
  try {
    for await (const x of it) items.push(x);
  } catch (error) {
    return { items, error };
  }
  return { items, error: undefined };
}

for (const mode of clientModes) {
  test(`${mode}: a deadline ends a slow unary call on both ends`, async () => {
    const seen = observed();
    const server = await startServer([testService(seen)], mode);
    const transport = transportFor(mode, server.url);
    try {
      const client = createClient(TestService, transport);
      const started = Date.now();
      const err = await client
        .echo({ text: "slow", delayMs: 5000 }, { timeoutMs: 150 })
        .catch((e) => e);
      assert.instance(err, ConnectError);
      assert.is((err as ConnectError).code, Code.DeadlineExceeded);
      assert.ok(Date.now() - started < 2000);
      await until("the handler's signal aborts", () => seen.aborts.length === 1);
      // The server's own deadline and the client's reset race each other: either code is right.
      const code = ConnectError.from(seen.aborts[0]).code;
      assert.ok(code === Code.DeadlineExceeded || code === Code.Canceled, `code ${code}`);
    } finally {
      await transport.close();
      await server.close();
    }
  });

  test(`${mode}: a deadline ends a server stream midway`, async () => {
    const seen = observed();
    const server = await startServer([testService(seen)], mode);
    const transport = transportFor(mode, server.url);
    try {
      const client = createClient(TestService, transport);
      const { items, error } = await collect(
        client.count({ count: 100, delayMs: 20 }, { timeoutMs: 200 }),
      );
      assert.ok(items.length > 0 && items.length < 100, `${items.length} messages`);
      assert.is((error as ConnectError).code, Code.DeadlineExceeded);
      await until("the stream's generator ends", () => seen.countsEnded === 1);
    } finally {
      await transport.close();
      await server.close();
    }
  });

  test(`${mode}: cancelling a server stream midway aborts the handler`, async () => {
    const seen = observed();
    const server = await startServer([testService(seen)], mode);
    const transport = transportFor(mode, server.url);
    try {
      const client = createClient(TestService, transport);
      const controller = new AbortController();
      const items: number[] = [];
      const error = await (async () => {
        try {
          for await (const m of client.count(
            { count: 100, delayMs: 10 },
            { signal: controller.signal },
          )) {
            items.push(m.number);
            if (items.length === 3) controller.abort();
          }
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      assert.is((error as ConnectError).code, Code.Canceled);
      assert.equal(items, [1, 2, 3]);
      await until("the handler's signal aborts", () => seen.aborts.length === 1);
      await until("the stream's generator ends", () => seen.countsEnded === 1);
      await until("the call is untracked", () => server.handler.inFlight === 0);
    } finally {
      await transport.close();
      await server.close();
    }
  });

  test(`${mode}: cancelling a client stream mid-upload ends the call on both ends`, async () => {
    const seen = observed();
    const server = await startServer([testService(seen)], mode);
    const transport = transportFor(mode, server.url);
    try {
      const client = createClient(TestService, transport);
      const controller = new AbortController();
      let sent = 0;
      const requests = (async function* () {
        for (let i = 0; i < 1000; i++) {
          sent++;
          yield { number: 1n };
          if (sent === 5) setTimeout(() => controller.abort(), 20);
          await sleep(10);
        }
      })();
      const err = await client.sum(requests, { signal: controller.signal }).catch((e) => e);
      assert.is((err as ConnectError).code, Code.Canceled);
      assert.ok(sent < 1000);
      // The server was reading the stream as it came, so its handler ends
      // too: its read fails, or its signal aborts. (Node's HTTP/2 client
      // sends END_STREAM before RST_STREAM when a stream is closed, so the
      // handler may also see the upload end just before the reset arrives.)
      await until(
        "the handler ends",
        () => seen.aborts.length === 1 || seen.sumsEnded?.length === 1,
      );
      await until("the call is untracked", () => server.handler.inFlight === 0);
    } finally {
      await transport.close();
      await server.close();
    }
  });

  test(`${mode}: a server that drops the connection mid-stream fails the call with unavailable`, async () => {
    const server = await startServer([testService()], mode);
    const sockets: Socket[] = [];
    server.server.on("connection", (s: Socket) => sockets.push(s));
    const transport = transportFor(mode, server.url);
    try {
      const client = createClient(TestService, transport);
      const items: number[] = [];
      const error = await (async () => {
        try {
          for await (const m of client.count({ count: 100, delayMs: 10 })) {
            items.push(m.number);
            if (items.length === 2) for (const s of sockets) s.destroy();
          }
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      assert.instance(error, ConnectError);
      assert.is((error as ConnectError).code, Code.Unavailable);
      assert.ok(items.length >= 2 && items.length < 100);
      // And the next call works, on a new connection.
      assert.is((await client.echo({ text: "again" })).text, "again");
    } finally {
      await transport.close();
      await server.close();
    }
  });

  test(`${mode}: graceful shutdown finishes calls in flight and cancels the late ones with unavailable`, async () => {
    const server = await startServer([testService()], mode);
    const transport = transportFor(mode, server.url);
    try {
      const client = createClient(TestService, transport);
      const quick = client.echo({ text: "quick", delayMs: 100 });
      const late = client.echo({ text: "late", delayMs: 10_000 }).catch((e) => e);
      await until("both calls reach the server", () => server.handler.inFlight === 2);
      await within(3000, server.close({ graceMs: 300 }), "close");
      assert.is((await quick).text, "quick");
      const err = await late;
      assert.instance(err, ConnectError);
      assert.is((err as ConnectError).code, Code.Unavailable);
    } finally {
      await transport.close();
      await server.close();
    }
  });
}

for (const mode of clientModes.filter((m) => m.endsWith("tls"))) {
  test(`${mode}: mTLS, a trusted client certificate is accepted, none or a stranger's refused`, async () => {
    const { tlsMaterial } = await import("./helpers/tls.js");
    const tls = tlsMaterial();
    const server = await startServer([testService()], mode, {
      requireClientCert: true,
      tls: { ca: tls.ca, requestCert: true, rejectUnauthorized: false },
    });
    const trusted = transportFor(mode, server.url, "client");
    const anonymous = transportFor(mode, server.url);
    const stranger = transportFor(mode, server.url, "stranger");
    try {
      assert.is((await createClient(TestService, trusted).echo({ text: "me" })).text, "me");
      for (const t of [anonymous, stranger]) {
        const err = await createClient(TestService, t)
          .echo({ text: "who" })
          .catch((e) => e);
        assert.is((err as ConnectError).code, Code.Unauthenticated);
      }
    } finally {
      await Promise.all([trusted.close(), anonymous.close(), stranger.close()]);
      await server.close();
    }
  });
}

for (const mode of ["h2c", "h2-tls", "h2c-compat"] as Mode[]) {
  test(`${mode}: GOAWAY with calls in flight, they finish, later calls use a new session`, async () => {
    const server = await startServer([testService()], mode);
    const sessions: ServerHttp2Session[] = [];
    server.server.on("session", (s: ServerHttp2Session) => sessions.push(s));
    const transport = transportFor(mode, server.url);
    try {
      const client = createClient(TestService, transport);
      const stream = collect(client.count({ count: 5, delayMs: 30 }));
      const unary = client.echo({ text: "in flight", delayMs: 100 });
      await until("one session", () => sessions.length === 1);
      await until("both calls reach the server", () => server.handler.inFlight === 2);
      // GOAWAY, letting the streams already open finish.
      sessions[0]!.close();
      const { items, error } = await stream;
      assert.is(error, undefined);
      assert.is(items.length, 5);
      assert.is((await unary).text, "in flight");
      assert.is((await client.echo({ text: "after" })).text, "after");
      assert.is(sessions.length, 2, "a new session for the later call");
    } finally {
      await transport.close();
      await server.close();
    }
  });
}

for (const mode of clientModes) {
  test(`${mode}: a connection that died while idle is replaced, not reported to the next call`, async () => {
    const server = await startServer([testService()], mode);
    const sockets: Socket[] = [];
    server.server.on("connection", (s: Socket) => sockets.push(s));
    const transport = transportFor(mode, server.url);
    try {
      const client = createClient(TestService, transport);
      assert.is((await client.echo({ text: "first" })).text, "first");
      // Kill the idle connection under the client, without GOAWAY or "connection: close".
      for (const s of sockets) s.destroy();
      await sleep(20);
      assert.is((await client.echo({ text: "second" })).text, "second");
      assert.is(sockets.length, 2, "the second call went over a new connection");
    } finally {
      await transport.close();
      await server.close();
    }
  });
}

test.run();
