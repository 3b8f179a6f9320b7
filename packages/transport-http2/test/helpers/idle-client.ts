// Makes one call and leaves the transport open, idle: the process must still
// exit on its own, long before the idle timeout. Run by idle-exit.test.ts.
import { echoOnce } from "@connect-ts/test-support";
import { createHttp2Transport } from "../../src/index.js";

const transport = createHttp2Transport({
  baseUrl: process.argv[2]!,
  idleTimeoutMs: 60_000,
  pingIntervalMs: 20,
  pingIdle: true,
});
const status = await echoOnce(transport);
// Let keepalive PINGs go out on the idle session before the loop may empty.
await new Promise((resolve) => setTimeout(resolve, 100));
console.log(`status ${status}`);
