import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** PEM files for TLS tests: a CA, a server and a client certificate it signed, and a stranger's. */
export interface TestCerts {
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** A client certificate signed by another CA, which the server must refuse. */
  readonly strangerCert: string;
  readonly strangerKey: string;
}

/**
 * Generates fresh certificates with the `openssl` CLI in a temporary
 * directory (removed before returning). EC keys keep it fast.
 */
export function generateCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), "connect-ts-certs-"));
  const openssl = (...args: string[]) =>
    execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  const key = (name: string) =>
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", name);
  const selfSigned = (name: string, cn: string) => {
    key(`${name}.key`);
    openssl(
      "req",
      "-x509",
      "-new",
      "-key",
      `${name}.key`,
      "-subj",
      `/CN=${cn}`,
      "-days",
      "2",
      "-out",
      `${name}.crt`,
    );
  };
  const signed = (name: string, ca: string, cn: string, ext: string) => {
    key(`${name}.key`);
    openssl("req", "-new", "-key", `${name}.key`, "-subj", `/CN=${cn}`, "-out", `${name}.csr`);
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      `${ca}.crt`,
      "-CAkey",
      `${ca}.key`,
      "-CAcreateserial",
      "-days",
      "2",
      "-extfile",
      `${name}.ext`,
      "-out",
      `${name}.crt`,
    );
  };
  try {
    selfSigned("ca", "connect-ts test CA");
    selfSigned("other-ca", "another CA");
    signed(
      "server",
      "ca",
      "localhost",
      "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    );
    signed("client", "ca", "test client", "extendedKeyUsage=clientAuth\n");
    signed("stranger", "other-ca", "stranger", "extendedKeyUsage=clientAuth\n");
    const read = (name: string) => readFileSync(join(dir, name), "utf8");
    return {
      ca: read("ca.crt"),
      serverCert: read("server.crt"),
      serverKey: read("server.key"),
      clientCert: read("client.crt"),
      clientKey: read("client.key"),
      strangerCert: read("stranger.crt"),
      strangerKey: read("stranger.key"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
