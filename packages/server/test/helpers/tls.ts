import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** PEM material for TLS tests: a CA, a server and a client it signed, and a client it did not. */
export interface TlsMaterial {
  ca: string;
  serverKey: string;
  serverCert: string;
  clientKey: string;
  clientCert: string;
  /** A client certificate from another CA, which the server must not accept. */
  strangerKey: string;
  strangerCert: string;
}

let cached: TlsMaterial | undefined;

/** Generates the material once per process with the openssl CLI, in a temporary folder. */
export function tlsMaterial(): TlsMaterial {
  if (cached !== undefined) return cached;
  const dir = mkdtempSync(join(tmpdir(), "connect-ts-tls-"));
  const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  try {
    const makeCa = (name: string) =>
      ssl(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        `${name}.key`,
        "-out",
        `${name}.crt`,
        "-days",
        "2",
        "-subj",
        `/CN=${name}`,
      );
    const makeLeaf = (name: string, caName: string, ext: string) => {
      ssl(
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        `${name}.key`,
        "-out",
        `${name}.csr`,
        "-subj",
        `/CN=${name}`,
      );
      writeFileSync(join(dir, `${name}.ext`), ext);
      ssl(
        "x509",
        "-req",
        "-in",
        `${name}.csr`,
        "-CA",
        `${caName}.crt`,
        "-CAkey",
        `${caName}.key`,
        "-CAcreateserial",
        "-out",
        `${name}.crt`,
        "-days",
        "2",
        "-extfile",
        `${name}.ext`,
      );
    };
    makeCa("test-ca");
    makeCa("stranger-ca");
    makeLeaf(
      "server",
      "test-ca",
      "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\n",
    );
    makeLeaf("client", "test-ca", "extendedKeyUsage=clientAuth\n");
    makeLeaf("stranger", "stranger-ca", "extendedKeyUsage=clientAuth\n");
    const read = (file: string) => readFileSync(join(dir, file), "utf8");
    cached = {
      ca: read("test-ca.crt"),
      serverKey: read("server.key"),
      serverCert: read("server.crt"),
      clientKey: read("client.key"),
      clientCert: read("client.crt"),
      strangerKey: read("stranger.key"),
      strangerCert: read("stranger.crt"),
    };
    return cached;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
