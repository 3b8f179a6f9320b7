import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import { tlsScenarios } from "@connect-ts/test-support";
import { test } from "uvu";
import { createHttp1Transport } from "../src/index.js";
import { generateCerts, type TestCerts } from "./helpers/certs.js";
import { readRequest, startH1Server, type TestH1Server } from "./helpers/h1-server.js";
import { assertNoLeaks, resourceBaseline } from "./helpers/leaks.js";

const baseline = resourceBaseline();
let certs: TestCerts;
let server: TestH1Server;
let mtlsServer: TestH1Server;

/** Echoes the body, and says who the client certificate belongs to, if any. */
function echo(req: IncomingMessage, res: ServerResponse) {
  void readRequest(req).then((body) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate?.();
    res.setHeader("x-client-cn", peer?.subject?.CN ?? "");
    res.end(body);
  });
}

test.before(async () => {
  certs = generateCerts();
  server = await startH1Server(echo, { cert: certs.serverCert, key: certs.serverKey });
  mtlsServer = await startH1Server(echo, {
    cert: certs.serverCert,
    key: certs.serverKey,
    ca: certs.ca,
    requestCert: true,
    rejectUnauthorized: true,
  });
});

tlsScenarios(test, {
  createTransport: (options) => createHttp1Transport(options),
  setup: () => ({ certs, serverUrl: server.url, mtlsUrl: mtlsServer.url }),
});

test("nothing is left open", async () => {
  await server.close();
  await mtlsServer.close();
  await assertNoLeaks(baseline);
});

test.run();
