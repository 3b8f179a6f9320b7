import { createServer as createHttpsServer } from "node:https";
import { expectUnavailable, postRequest, tlsScenarios } from "@connect-ts/test-support";
import { test } from "uvu";
import { createHttp2Transport } from "../src/index.js";
import { generateCerts, type TestCerts } from "./helpers/certs.js";
import { readStream, startH2Server, type TestH2Server } from "./helpers/h2-server.js";
import { assertNoLeaks, resourceBaseline } from "./helpers/leaks.js";
import { bytes } from "./helpers/util.js";

const baseline = resourceBaseline();
let certs: TestCerts;
let server: TestH2Server;
let mtlsServer: TestH2Server;

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

tlsScenarios(test, {
  createTransport: (options) => createHttp2Transport(options),
  setup: () => ({ certs, serverUrl: server.url, mtlsUrl: mtlsServer.url }),
  alpn: "h2",
});

test("a TLS server without h2 in ALPN is unavailable", async () => {
  const https = createHttpsServer({ cert: certs.serverCert, key: certs.serverKey }, (_req, res) =>
    res.end("HTTP/1.1 only"),
  );
  await new Promise<void>((resolve) => https.listen(0, "127.0.0.1", resolve));
  const url = `https://127.0.0.1:${(https.address() as { port: number }).port}`;
  const transport = createHttp2Transport({ baseUrl: url, tls: { ca: certs.ca } });
  await expectUnavailable(transport.request(postRequest(`${url}/x`, bytes("x"))), "no h2");
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
