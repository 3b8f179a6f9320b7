// Makes one call and leaves the transport open, idle: the process must still
// exit on its own, long before the idle timeout. Run by idle-exit.test.ts.
import { Metadata } from "@connect-ts/protocol";
import { createHttp2Transport } from "../../src/index.js";

const baseUrl = process.argv[2]!;
const transport = createHttp2Transport({
  baseUrl,
  idleTimeoutMs: 60_000,
  pingIntervalMs: 20,
  pingIdle: true,
});
const res = await transport.request({
  method: "POST",
  url: `${baseUrl}/echo`,
  headers: new Metadata(),
  body: new TextEncoder().encode("hi"),
  signal: new AbortController().signal,
});
await res.body.readAll(100);
// Let keepalive PINGs go out on the idle session before the loop may empty.
await new Promise((resolve) => setTimeout(resolve, 100));
console.log(`status ${res.status}`);
