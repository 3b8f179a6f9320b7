import { createServer as createHttpsServer } from "node:https";
import { Code, ConnectError, type HttpRequest, Metadata } from "@connect-ts/protocol";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createHttp2Transport } from "../src/index.js";
import { generateCerts, type TestCerts } from "./helpers/certs.js";
import { readStream, startH2Server, type TestH2Server } from "./helpers/h2-server.js";
import { assertNoLeaks, resourceBaseline } from "./helpers/leaks.js";
import { bytes, text, within } from "./helpers/util.js";

const baseline = resourceBaseline();
let certs: TestCerts;
let server: TestH2Server;
let mtlsServer: TestH2Server;

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
function echo(stream: import("node:http2").ServerHttp2Stream) {
  void readStream(stream).then((body) => {
    const socket = stream.session?.socket as import("node:tls").TLSSocket | undefined;
    const peer = socket?.getPeerCertificate?.();
    stream.respond({
      ":status": 200,
      "x-client-cn": peer?.subject?.CN ?? "",
      "x-alpn": String(socket?.alpnProtocol),
    });
    stream.end(body);
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
  server = await startH2Server(echo, { tls: { cert: certs.serverCert, key: certs.serverKey } });
  mtlsServer = await startH2Server(echo, {
    tls: {
      cert: certs.serverCert,
      key: certs.serverKey,
      ca: certs.ca,
      requestCert: true,
      rejectUnauthorized: true,
    },
  });
});

test.after(async () => {
  await server.close();
  await mtlsServer.close();
});

test("TLS with a custom CA, ALPN h2", async () => {
  const transport = createHttp2Transport({ baseUrl: server.url, tls: { ca: certs.ca } });
  const res = await transport.request(post(`${server.url}/echo`, "secure"));
  assert.is(res.headers.get("x-alpn"), "h2");
  assert.is(text(await res.body.readAll(100)), "secure");
  await transport.close();
});

test("TLS by host name: localhost is verified against the certificate", async () => {
  const url = server.url.replace("127.0.0.1", "localhost");
  const transport = createHttp2Transport({ baseUrl: url, tls: { ca: certs.ca } });
  const res = await transport.request(post(`${url}/echo`, "by name"));
  assert.is(text(await res.body.readAll(100)), "by name");
  await transport.close();
});

test("an untrusted server certificate is unavailable, with the TLS error as cause", async () => {
  const transport = createHttp2Transport({ baseUrl: server.url });
  const error = await expectUnavailable(
    transport.request(post(`${server.url}/echo`, "x")),
    "untrusted",
  );
  assert.ok(error.cause !== undefined);
  await transport.close();
});

test("mTLS: a client certificate the server trusts is accepted", async () => {
  const transport = createHttp2Transport({
    baseUrl: mtlsServer.url,
    tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey },
  });
  const res = await transport.request(post(`${mtlsServer.url}/echo`, "mutual"));
  assert.is(res.headers.get("x-client-cn"), "test client");
  assert.is(text(await res.body.readAll(100)), "mutual");
  await transport.close();
});

test("mTLS: no client certificate, or one from another CA, is refused with unavailable", async () => {
  const none = createHttp2Transport({ baseUrl: mtlsServer.url, tls: { ca: certs.ca } });
  await expectUnavailable(none.request(post(`${mtlsServer.url}/echo`, "x")), "no client cert");
  await none.close();
  const stranger = createHttp2Transport({
    baseUrl: mtlsServer.url,
    tls: { ca: certs.ca, cert: certs.strangerCert, key: certs.strangerKey },
  });
  await expectUnavailable(stranger.request(post(`${mtlsServer.url}/echo`, "x")), "stranger cert");
  await stranger.close();
});

test("a TLS server without h2 in ALPN is unavailable", async () => {
  const https = createHttpsServer({ cert: certs.serverCert, key: certs.serverKey }, (_req, res) =>
    res.end("HTTP/1.1 only"),
  );
  await new Promise<void>((resolve) => https.listen(0, "127.0.0.1", resolve));
  const url = `https://127.0.0.1:${(https.address() as { port: number }).port}`;
  const transport = createHttp2Transport({ baseUrl: url, tls: { ca: certs.ca } });
  await expectUnavailable(transport.request(post(`${url}/x`, "x")), "no h2");
  await transport.close();
  https.closeAllConnections();
  await new Promise((resolve) => https.close(resolve));
});

test("nothing is left open", async () => {
  await server.close();
  await mtlsServer.close();
  await assertNoLeaks(baseline);
});

test.run();
