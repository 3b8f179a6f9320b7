import type { Transport } from "@connect-ts/protocol";
import { createHttp1Transport } from "@connect-ts/transport-http1";
import { createHttp2Transport } from "@connect-ts/transport-http2";
import type { Mode } from "./servers.js";
import { tlsMaterial } from "./tls.js";

/** The server modes that our client transports cover. */
export const clientModes: readonly Mode[] = ["h1", "h1-tls", "h2c", "h2-tls", "h2c-compat"];

/** A client identity for mTLS, or none. */
export type Identity = "client" | "stranger" | undefined;

/** Our transport for a server mode: the HTTP/1.1 one for h1 modes, the HTTP/2 one otherwise. */
export function transportFor(mode: Mode, baseUrl: string, identity?: Identity): Transport {
  const material = tlsMaterial();
  const tls = mode.endsWith("tls")
    ? {
        ca: material.ca,
        ...(identity === "client" ? { key: material.clientKey, cert: material.clientCert } : {}),
        ...(identity === "stranger"
          ? { key: material.strangerKey, cert: material.strangerCert }
          : {}),
      }
    : undefined;
  if (mode.startsWith("h2")) return createHttp2Transport({ baseUrl, tls });
  return createHttp1Transport({ baseUrl, tls });
}
