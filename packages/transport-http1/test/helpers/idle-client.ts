// Makes one call and leaves the transport open, its connection idle in the
// pool: the process must still exit on its own, long before the keep-alive
// timeout. Run by idle-exit.test.ts.
import { echoOnce } from "@connect-ts/test-support";
import { createHttp1Transport } from "../../src/index.js";

const transport = createHttp1Transport({ baseUrl: process.argv[2]!, keepAliveTimeoutMs: 60_000 });
console.log(`status ${await echoOnce(transport)}`);
