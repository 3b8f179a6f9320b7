import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import { Code, ConnectError, type HttpRequest, Metadata } from "@connect-ts/protocol";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createHttp1Transport } from "../src/index.js";
import { generateCerts, type TestCerts } from "./helpers/certs.js";
import { readRequest, startH1Server, type TestH1Server } from "./helpers/h1-server.js";
import { assertNoLeaks, resourceBaseline } from "./helpers/leaks.js";
import { bytes, text, within } from "./helpers/util.js";

const baseline = resourceBaseline();
let certs: TestCerts;
let server: TestH1Server;
let mtlsServer: TestH1Server;

function post(url: string, body: string): HttpRequest {
  return {
    method: "POST",
    url,
    headers: new Metadata(),
    body: bytes(body),
    signal: new AbortController().signal,
  };
}

/** Echoes the body, and says who the client certificate belongs to, if any. */
function echo(req: IncomingMessage, res: ServerResponse) {
  void readRequest(req).then((body) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate?.();
    res.setHeader("x-client-cn", peer?.subject?.CN ?? "");
    res.end(body);
  });
}

async function expectUnavailable(promise: Promise<unknown>, what: string): Promise<ConnectError> {
  try {
    await within(promise, 3000, what);
  } catch (error) {
    assert.instance(error, ConnectError, String(error));
    assert.is((error as ConnectError).code, Code.Unavailable, (error as Error).message);
    return error as ConnectError;
  }
  assert.unreachable(`${what} should fail`);
  throw new Error("unreachable");
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

test("TLS with a custom CA", async () => {
  const transport = createHttp1Transport({ baseUrl: server.url, tls: { ca: certs.ca } });
  const res = await transport.request(post(`${server.url}/echo`, "secure"));
  assert.is(text(await res.body.readAll(100)), "secure");
  await transport.close();
});

test("TLS by host name: localhost is verified against the certificate", async () => {
  const url = server.url.replace("127.0.0.1", "localhost");
  const transport = createHttp1Transport({ baseUrl: url, tls: { ca: certs.ca } });
  const res = await transport.request(post(`${url}/echo`, "by name"));
  assert.is(text(await res.body.readAll(100)), "by name");
  await transport.close();
});

test("an untrusted server certificate is unavailable, with the TLS error as cause", async () => {
  const transport = createHttp1Transport({ baseUrl: server.url });
  const error = await expectUnavailable(
    transport.request(post(`${server.url}/echo`, "x")),
    "untrusted",
  );
  assert.ok(error.cause !== undefined);
  await transport.close();
});

test("mTLS: a client certificate the server trusts is accepted", async () => {
  const transport = createHttp1Transport({
    baseUrl: mtlsServer.url,
    tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey },
  });
  const res = await transport.request(post(`${mtlsServer.url}/echo`, "mutual"));
  assert.is(res.headers.get("x-client-cn"), "test client");
  assert.is(text(await res.body.readAll(100)), "mutual");
  await transport.close();
});

test("mTLS: no client certificate, or one from another CA, is refused with unavailable", async () => {
  const none = createHttp1Transport({ baseUrl: mtlsServer.url, tls: { ca: certs.ca } });
  await expectUnavailable(none.request(post(`${mtlsServer.url}/echo`, "x")), "no client cert");
  await none.close();
  const stranger = createHttp1Transport({
    baseUrl: mtlsServer.url,
    tls: { ca: certs.ca, cert: certs.strangerCert, key: certs.strangerKey },
  });
  await expectUnavailable(stranger.request(post(`${mtlsServer.url}/echo`, "x")), "stranger cert");
  await stranger.close();
});

test("nothing is left open", async () => {
  await server.close();
  await mtlsServer.close();
  await assertNoLeaks(baseline);
});

test.run();
