// The demo: starts Eliza on free ports (one cleartext HTTP/2 server and one
// HTTP/1.1 server), talks to her with every kind of call over each, in the
// Connect protocol and then in gRPC (over HTTP/2) and gRPC-Web (over
// HTTP/1.1), then once more with compression and interceptors composed into
// the client, prints what she says, shuts everything down and exits 0, or 1
// if anything failed.
import type { Protocol, Transport } from "@connect-ts/protocol";
import type { ConnectServer } from "@connect-ts/server";
import { createHttp1Transport } from "@connect-ts/transport-http1";
import { createHttp2Transport } from "@connect-ts/transport-http2";
import { talkToEliza } from "./conversation.js";
import { talkWithLayers } from "./layered.js";
import { startElizaServer } from "./server.js";

/** The demo must finish well within this; a hang is a failure, not a wait. */
const DEMO_TIMEOUT_MS = 30_000;

async function main(): Promise<void> {
  const servers: ConnectServer[] = [];
  const transports: Transport[] = [];
  try {
    const h2 = await startElizaServer({ httpVersion: "2", introDelayMs: 100 });
    servers.push(h2);
    const h1 = await startElizaServer({ httpVersion: "1.1", introDelayMs: 100 });
    servers.push(h1);
    const http2 = createHttp2Transport({ baseUrl: h2.url });
    const http1 = createHttp1Transport({ baseUrl: h1.url });
    transports.push(http2, http1);
    const runs: [string, Transport, Protocol][] = [
      [`HTTP/2 (h2c) at ${h2.url}`, http2, "connect"],
      [`HTTP/1.1 at ${h1.url}`, http1, "connect"],
      [`HTTP/2 (h2c) at ${h2.url}`, http2, "grpc"],
      [`HTTP/1.1 at ${h1.url}`, http1, "grpc-web"],
    ];
    for (const [label, transport, protocol] of runs) {
      console.log(`\n=== Talking to Eliza in ${protocol} over ${label} ===`);
      await talkToEliza(transport, (line) => console.log(`  ${line}`), { protocol });
    }
    console.log("\n=== The layers: gzip both ways, a bearer token and logging, over HTTP/2 ===");
    await talkWithLayers((line) => console.log(`  ${line}`));
    console.log("\nAll four kinds of call worked over HTTP/2 and HTTP/1.1.");
  } finally {
    await Promise.allSettled(transports.map((t) => t.close()));
    await Promise.allSettled(servers.map((s) => s.close({ graceMs: 1000 })));
  }
}

const watchdog = setTimeout(() => {
  console.error(`demo: no result after ${DEMO_TIMEOUT_MS} ms`);
  process.exit(1);
}, DEMO_TIMEOUT_MS);
watchdog.unref();

main().then(
  () => {
    clearTimeout(watchdog);
  },
  (e: unknown) => {
    clearTimeout(watchdog);
    console.error("demo failed:", e);
    process.exitCode = 1;
  },
);
