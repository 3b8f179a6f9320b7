// Makes one call and leaves the transport open, its connection idle in the
// pool: the process must still exit on its own, long before the keep-alive
// timeout. Run by idle-exit.test.ts.
import { Metadata } from "@connect-ts/protocol";
import { createHttp1Transport } from "../../src/index.js";

const baseUrl = process.argv[2]!;
const transport = createHttp1Transport({ baseUrl, keepAliveTimeoutMs: 60_000 });
const res = await transport.request({
  method: "POST",
  url: `${baseUrl}/echo`,
  headers: new Metadata(),
  body: new TextEncoder().encode("hi"),
  signal: new AbortController().signal,
});
await res.body.readAll(100);
console.log(`status ${res.status}`);
