import {
  type ConnectError,
  Metadata,
  type ServerRequest,
  type ServerResponse,
} from "@connect-ts/protocol";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { sleep, within } from "./helpers/gate.js";
import { rawCall } from "./helpers/raw-client.js";
import { type Mode, routerOf, startServer } from "./helpers/servers.js";

const json = { "content-type": "application/json" };

/** Resolves once the server has a call in flight (a fixed sleep is not enough on a busy machine). */
async function callStarted(handler: { readonly inFlight: number }): Promise<void> {
  await within(
    2000,
    (async () => {
      while (handler.inFlight === 0) await sleep(2);
    })(),
    "the call reaching the server",
  );
}

/** Waits still pending, cleared after the test whose handler ignores its signal. */
const waits = new Set<NodeJS.Timeout>();

/**
 * Waits `x-wait` ms (or until the signal aborts, unless `x-ignore-signal`),
 * then answers 200, or on abort the reason's code as a Connect unary error.
 */
async function slow(req: ServerRequest): Promise<ServerResponse> {
  const wait = Number(req.headers.get("x-wait") ?? "0");
  const ignore = req.headers.has("x-ignore-signal");
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      waits.delete(timer);
      resolve();
    }, wait);
    waits.add(timer);
    if (!ignore) {
      req.signal.addEventListener(
        "abort",
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    }
  });
  if (req.signal.aborted && !ignore) {
    const reason = req.signal.reason as ConnectError;
    return {
      status: 503,
      headers: new Metadata(json),
      body: new TextEncoder().encode(
        JSON.stringify({ code: reason.code, message: reason.rawMessage }),
      ),
    };
  }
  return { status: 200, headers: new Metadata(), body: new TextEncoder().encode("done") };
}

for (const mode of ["h1", "h2c", "h2c-compat"] as Mode[]) {
  test(`${mode}: shutdown lets a call in flight finish and refuses new ones with unavailable`, async () => {
    const server = await startServer(routerOf(slow), mode);
    try {
      const inFlight = rawCall(server.url, mode, { path: "/slow", headers: { "x-wait": "150" } });
      await callStarted(server.handler);
      assert.is(server.handler.inFlight, 1);
      const shutdown = server.handler.shutdown({ graceMs: 3000 });
      const refused = await rawCall(server.url, mode, {
        path: "/slow",
        headers: json,
        body: new Uint8Array(0),
      });
      assert.is(refused.status, 503);
      if (mode === "h1")
        assert.is(refused.headers.connection, "close", "no keep-alive while draining");
      assert.equal(JSON.parse(refused.body.toString()), {
        code: "unavailable",
        message: "the server is shutting down",
      });
      const done = await inFlight;
      assert.is(done.status, 200);
      assert.is(done.body.toString(), "done");
      await within(1000, shutdown, "shutdown after the last call");
      assert.is(server.handler.inFlight, 0);
    } finally {
      await server.close();
    }
  });

  test(`${mode}: past the grace period calls are aborted with unavailable`, async () => {
    const server = await startServer(routerOf(slow), mode);
    try {
      const inFlight = rawCall(server.url, mode, { path: "/slow", headers: { "x-wait": "10000" } });
      await callStarted(server.handler);
      const started = Date.now();
      await within(2000, server.handler.shutdown({ graceMs: 50 }), "shutdown");
      assert.ok(Date.now() - started < 1000);
      const res = await inFlight;
      assert.is(res.status, 503);
      assert.is(JSON.parse(res.body.toString()).code, 14, "Code.Unavailable is the abort reason");
    } finally {
      await server.close();
    }
  });

  test(`${mode}: a handler that ignores the abort is torn down after abortWaitMs`, async () => {
    const server = await startServer(routerOf(slow), mode);
    try {
      const inFlight = rawCall(server.url, mode, {
        path: "/slow",
        headers: { "x-wait": "5000", "x-ignore-signal": "1" },
      });
      await callStarted(server.handler);
      await within(2000, server.handler.shutdown({ graceMs: 20, abortWaitMs: 50 }), "shutdown");
      const outcome = await inFlight.then(
        (r) => `status ${r.status}`,
        () => "failed",
      );
      assert.is(outcome, "failed");
    } finally {
      for (const timer of waits) clearTimeout(timer);
      waits.clear();
      await server.close();
    }
  });

  test(`${mode}: listen's close() drains, then the port is closed`, async () => {
    const server = await startServer(routerOf(slow), mode);
    const inFlight = rawCall(server.url, mode, { path: "/slow", headers: { "x-wait": "100" } });
    await callStarted(server.handler);
    await within(3000, server.close({ graceMs: 2000 }), "close");
    assert.is((await inFlight).status, 200);
    assert.not.ok(server.server.listening);
    const after = await rawCall(server.url, mode, { path: "/slow" }).then(
      () => "answered",
      (err: NodeJS.ErrnoException) => err.code ?? "failed",
    );
    assert.is.not(after, "answered");
    if (mode === "h1") assert.is(after, "ECONNREFUSED");
  });
}

test.run();
