// Makes one call, then awaits close(): the promise must settle before the
// event loop empties, though the idle session is unref'd. Run by idle-exit.test.ts.
import { echoOnce } from "@connect-ts/test-support";
import { createHttp2Transport } from "../../src/index.js";

const transport = createHttp2Transport({ baseUrl: process.argv[2]! });
const status = await echoOnce(transport);
await transport.close();
console.log(`status ${status}, closed`);
