// A client for a running Eliza server:
//   node dist/client.js [--http1] [url]
// talks to `url` (default http://127.0.0.1:8080) over HTTP/2, or over
// HTTP/1.1 with --http1, making each of the four kinds of call.
import { ConnectError } from "@connect-ts/protocol";
import { createHttp1Transport } from "@connect-ts/transport-http1";
import { createHttp2Transport } from "@connect-ts/transport-http2";
import { talkToEliza } from "./conversation.js";

const args = process.argv.slice(2);
const baseUrl = args.find((a) => !a.startsWith("--")) ?? "http://127.0.0.1:8080";
const transport = args.includes("--http1")
  ? createHttp1Transport({ baseUrl })
  : createHttp2Transport({ baseUrl });
try {
  await talkToEliza(transport);
} catch (e) {
  console.error(ConnectError.from(e).message);
  process.exitCode = 1;
} finally {
  await transport.close();
}
