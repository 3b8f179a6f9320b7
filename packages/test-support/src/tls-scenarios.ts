// The TLS tests both transports pass the same way: a custom CA, verification
// by host name, an untrusted server, and mutual TLS accepted and refused.
import { Code, type ConnectError, type Transport } from "@connect-ts/protocol";
import type { Test } from "uvu";
import * as assert from "uvu/assert";
import type { TestCerts } from "./certs.js";
import { postRequest } from "./post-request.js";
import { rejectsWith } from "./rejects-with.js";
import { within } from "./timing.js";
import { bytes, text } from "./utf8.js";

/** The client side of TLS, as both transports take it in their `tls` option. */
export interface ClientTls {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

/** Where the scenarios find their certificates and servers, once the suite's `before` hooks ran. */
export interface TlsSetup {
  readonly certs: TestCerts;
  /** An echo server presenting `certs.serverCert`. */
  readonly serverUrl: string;
  /** The same, but requiring a client certificate signed by `certs.ca`. */
  readonly mtlsUrl: string;
}

/** What the scenarios need from the transport package under test. */
export interface TlsScenarioOptions {
  /** Creates a transport of the package under test; `tls` is absent for the default trust store. */
  createTransport(options: { baseUrl: string; tls?: ClientTls }): Transport;
  /** Called inside each test, so that `before` hooks may start the servers. */
  setup(): TlsSetup;
  /** If given, the first test also checks the `x-alpn` header the server reports. */
  readonly alpn?: string;
}

/** Expects `promise` to fail, within 3 s, with a ConnectError `unavailable`. */
export function expectUnavailable(promise: Promise<unknown>, what: string): Promise<ConnectError> {
  return rejectsWith(within(promise, 3000, what), Code.Unavailable);
}

/**
 * Adds the five TLS tests to `test`. The servers must echo the request body
 * and put the client certificate's common name (or "") in `x-client-cn`.
 */
export function tlsScenarios(test: Test, options: TlsScenarioOptions): void {
  const { createTransport, setup, alpn } = options;
  const post = (url: string, body: string) => postRequest(url, bytes(body));

  test(`TLS with a custom CA${alpn !== undefined ? `, ALPN ${alpn}` : ""}`, async () => {
    const { certs, serverUrl } = setup();
    const transport = createTransport({ baseUrl: serverUrl, tls: { ca: certs.ca } });
    const res = await transport.request(post(`${serverUrl}/echo`, "secure"));
    if (alpn !== undefined) assert.is(res.headers.get("x-alpn"), alpn);
    assert.is(text(await res.body.readAll(100)), "secure");
    await transport.close();
  });

  test("TLS by host name: localhost is verified against the certificate", async () => {
    const { certs, serverUrl } = setup();
    const url = serverUrl.replace("127.0.0.1", "localhost");
    const transport = createTransport({ baseUrl: url, tls: { ca: certs.ca } });
    const res = await transport.request(post(`${url}/echo`, "by name"));
    assert.is(text(await res.body.readAll(100)), "by name");
    await transport.close();
  });

  test("an untrusted server certificate is unavailable, with the TLS error as cause", async () => {
    const { serverUrl } = setup();
    const transport = createTransport({ baseUrl: serverUrl });
    const error = await expectUnavailable(
      transport.request(post(`${serverUrl}/echo`, "x")),
      "untrusted",
    );
    assert.ok(error.cause !== undefined);
    await transport.close();
  });

  test("mTLS: a client certificate the server trusts is accepted", async () => {
    const { certs, mtlsUrl } = setup();
    const transport = createTransport({
      baseUrl: mtlsUrl,
      tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey },
    });
    const res = await transport.request(post(`${mtlsUrl}/echo`, "mutual"));
    assert.is(res.headers.get("x-client-cn"), "test client");
    assert.is(text(await res.body.readAll(100)), "mutual");
    await transport.close();
  });

  test("mTLS: no client certificate, or one from another CA, is refused with unavailable", async () => {
    const { certs, mtlsUrl } = setup();
    const none = createTransport({ baseUrl: mtlsUrl, tls: { ca: certs.ca } });
    await expectUnavailable(none.request(post(`${mtlsUrl}/echo`, "x")), "no client cert");
    await none.close();
    const stranger = createTransport({
      baseUrl: mtlsUrl,
      tls: { ca: certs.ca, cert: certs.strangerCert, key: certs.strangerKey },
    });
    await expectUnavailable(stranger.request(post(`${mtlsUrl}/echo`, "x")), "stranger cert");
    await stranger.close();
  });
}
