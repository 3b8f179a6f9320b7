// Makes one call, then awaits close(): the promise must settle before the
// event loop empties, though the idle session is unref'd. Run by idle-exit.test.ts.
import { Metadata } from "@connect-ts/protocol";
import { createHttp2Transport } from "../../src/index.js";

const baseUrl = process.argv[2]!;
const transport = createHttp2Transport({ baseUrl });
const res = await transport.request({
  method: "POST",
  url: `${baseUrl}/echo`,
  headers: new Metadata(),
  body: new TextEncoder().encode("hi"),
  signal: new AbortController().signal,
});
await res.body.readAll(100);
await transport.close();
console.log(`status ${res.status}, closed`);
