import { createPrivateKey, X509Certificate } from "node:crypto";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { generateCerts } from "../src/certs.js";

const certs = generateCerts();
const ca = new X509Certificate(certs.ca);

test("the server and client certificates are signed by the CA, the stranger's is not", () => {
  assert.ok(new X509Certificate(certs.serverCert).verify(ca.publicKey));
  assert.ok(new X509Certificate(certs.clientCert).verify(ca.publicKey));
  assert.not.ok(new X509Certificate(certs.strangerCert).verify(ca.publicKey));
});

test("the server certificate names localhost and 127.0.0.1, the client its common name", () => {
  const server = new X509Certificate(certs.serverCert);
  assert.is(server.checkHost("localhost"), "localhost");
  assert.is(server.checkIP("127.0.0.1"), "127.0.0.1");
  assert.match(new X509Certificate(certs.clientCert).subject, "CN=test client");
});

test("each key belongs to its certificate", () => {
  const pairs = [
    [certs.serverCert, certs.serverKey],
    [certs.clientCert, certs.clientKey],
    [certs.strangerCert, certs.strangerKey],
  ] as const;
  for (const [cert, key] of pairs) {
    assert.ok(new X509Certificate(cert).checkPrivateKey(createPrivateKey(key)));
  }
  assert.not.ok(
    new X509Certificate(certs.serverCert).checkPrivateKey(createPrivateKey(certs.clientKey)),
  );
});

test.run();
