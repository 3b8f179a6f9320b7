import { once } from "node:events";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { Metadata } from "@connect-ts/protocol";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createConnectHandler } from "../src/index.js";
import { rawCall } from "./helpers/raw-client.js";
import { type Mode, routerOf, startServer } from "./helpers/servers.js";
import { tlsMaterial } from "./helpers/tls.js";

const ok = routerOf(async () => ({
  status: 200,
  headers: new Metadata(),
  body: new TextEncoder().encode("hello"),
}));

for (const mode of ["h1-tls", "h2-tls"] as Mode[]) {
  test(`${mode}: requireClientCert accepts a certificate from the trusted CA`, async () => {
    const tls = tlsMaterial();
    const server = await startServer(ok, mode, {
      requireClientCert: true,
      tls: { ca: tls.ca, requestCert: true, rejectUnauthorized: false },
    });
    try {
      const res = await rawCall(server.url, mode, {
        path: "/x",
        identity: { key: tls.clientKey, cert: tls.clientCert },
      });
      assert.is(res.status, 200);
      assert.is(res.body.toString(), "hello");
    } finally {
      await server.close();
    }
  });

  test(`${mode}: requireClientCert refuses no certificate and a stranger's with unauthenticated`, async () => {
    const tls = tlsMaterial();
    const server = await startServer(ok, mode, {
      requireClientCert: true,
      tls: { ca: tls.ca, requestCert: true, rejectUnauthorized: false },
    });
    try {
      const none = await rawCall(server.url, mode, {
        path: "/x",
        headers: { "content-type": "application/json" },
        body: new Uint8Array(0),
      });
      assert.is(none.status, 401);
      assert.is(JSON.parse(none.body.toString()).code, "unauthenticated");
      const stranger = await rawCall(server.url, mode, {
        path: "/x",
        headers: { "content-type": "application/grpc" },
        identity: { key: tls.strangerKey, cert: tls.strangerCert },
      });
      // A refusal is a Trailers-Only answer: the status is in the headers.
      assert.is(stranger.status, 200);
      assert.is(stranger.headers["grpc-status"], "16");
      assert.is(stranger.body.byteLength, 0);
    } finally {
      await server.close();
    }
  });

  test(`${mode}: with rejectUnauthorized the TLS handshake itself refuses a stranger`, async () => {
    const tls = tlsMaterial();
    const server = await startServer(ok, mode, {
      tls: { ca: tls.ca, requestCert: true, rejectUnauthorized: true },
    });
    try {
      const outcome = await rawCall(server.url, mode, {
        path: "/x",
        identity: { key: tls.strangerKey, cert: tls.strangerCert },
      }).then(
        (r) => `status ${r.status}`,
        () => "refused",
      );
      assert.is(outcome, "refused");
    } finally {
      await server.close();
    }
  });
}

test("express-style hosts: paths the router does not serve go to next()", async () => {
  const handler = createConnectHandler(routerOf(ok.handle, ["/svc.V1/Call"]));
  const server = http.createServer((req, res) =>
    handler(req, res, () => {
      res.writeHead(404, { "x-from": "next" });
      res.end();
    }),
  );
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const served = await rawCall(url, "h1", { path: "/svc.V1/Call" });
    assert.is(served.status, 200);
    const passed = await rawCall(url, "h1", { path: "/static/index.html", method: "GET" });
    assert.is(passed.status, 404);
    assert.is(passed.headers["x-from"], "next");
  } finally {
    server.close();
    server.closeAllConnections();
    await once(server, "close");
  }
});

test.run();
