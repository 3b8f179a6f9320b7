// The interceptors against a real server on loopback: retry riding out a
// server that is not listening yet, and auth and logging over the wire.
import { createServer } from "node:net";
import { type Interceptor, createClient, registerService } from "@connect-ts/protocol";
import { type ConnectServer, listen } from "@connect-ts/server";
import { EchoService } from "@connect-ts/test-support/echo";
import { createHttp1Transport } from "@connect-ts/transport-http1";
import { createHttp2Transport } from "@connect-ts/transport-http2";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { bearerAuth, type LogEntry, logging, retry } from "../src/index.js";

const service = registerService(EchoService, {
  async echo(req, ctx) {
    return { text: `${req.text}|${ctx.requestHeaders.get("authorization") ?? ""}` };
  },
});

/** A loopback port that nothing listens on (taken and released). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

for (const httpVersion of ["1.1", "2"] as const) {
  test(`HTTP/${httpVersion}: retry rides out a server that starts late`, async () => {
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const transport =
      httpVersion === "2" ? createHttp2Transport({ baseUrl }) : createHttp1Transport({ baseUrl });
    let attempts = 0;
    const count: Interceptor = (next) => (req) => {
      attempts++;
      return next(req);
    };
    const client = createClient(EchoService, transport, {
      interceptors: [retry({ maxAttempts: 8, initialBackoffMs: 40, jitter: 0 }), count],
    });
    let server: ConnectServer | undefined;
    const starting = new Promise<void>((resolve) => {
      setTimeout(async () => {
        server = await listen([service], { host: "127.0.0.1", port, httpVersion });
        resolve();
      }, 100);
    });
    try {
      const res = await client.echo({ text: "late" }, { timeoutMs: 5000 });
      assert.is(res.text, "late|");
      assert.ok(attempts >= 2, `${attempts} attempts`);
    } finally {
      await starting;
      await transport.close();
      await server?.close();
    }
  });
}

test("bearerAuth and logging on both ends over HTTP/2", async () => {
  const serverLog: LogEntry[] = [];
  const clientLog: LogEntry[] = [];
  const server = await listen([service], {
    host: "127.0.0.1",
    port: 0,
    interceptors: [logging({ log: (e) => serverLog.push(e) })],
  });
  const transport = createHttp2Transport({ baseUrl: server.url });
  try {
    const client = createClient(EchoService, transport, {
      interceptors: [logging({ log: (e) => clientLog.push(e) }), bearerAuth(async () => "t0k")],
    });
    assert.is((await client.echo({ text: "a" })).text, "a|Bearer t0k");
    assert.equal(
      [clientLog[0]!.side, clientLog[0]!.code, serverLog[0]!.side, serverLog[0]!.code],
      ["client", "ok", "server", "ok"],
    );
    assert.is(clientLog[0]!.responseBytes, serverLog[0]!.responseBytes);
  } finally {
    await transport.close();
    await server.close();
  }
});

test.run();
