// Many calls at once against a server that misbehaves in every way it can:
// every call must settle (no hang) with a response or a ConnectError, and
// nothing may be left open afterwards.
import { type Behaviours, runChaos } from "@connect-ts/test-support";
import { test } from "uvu";
import { createHttp1Transport } from "../src/index.js";
import { readRequest, startH1Server } from "./helpers/h1-server.js";
import { assertNoLeaks, resourceBaseline } from "./helpers/leaks.js";

const baseline = resourceBaseline();
/** Generous: a cold HTTP/1.1 pool on a busy machine queues calls for a while. */
const DEADLINE_MS = 1000;

/** What the server does with a call, with how often (out of 100) it does it. */
const behaviours: Behaviours = [
  ["ok", 40],
  ["slow", 20],
  ["reset", 10],
  ["partial", 10],
  ["hang", 10],
  ["malformed", 6],
  ["drop", 4],
];

test("300 calls against a misbehaving server all settle, and leave nothing open", async () => {
  const server = await startH1Server((req, res) => {
    const behaviour = (req.url ?? "").slice(1);
    void readRequest(req).then(
      (body) => {
        if (res.destroyed) return;
        switch (behaviour) {
          case "ok":
            res.end(body);
            break;
          case "slow":
            res.writeHead(200);
            res.write(body);
            setTimeout(() => !res.destroyed && res.end(body), 20);
            break;
          case "reset":
            res.writeHead(200);
            res.write(body, () => res.destroy());
            break;
          case "drop":
            server.dropConnections();
            break;
          case "partial":
            res.writeHead(200, { "content-length": "1000" });
            res.write(body, () => res.destroy());
            break;
          case "malformed":
            res.socket?.end("HTTP/1.1 200 OK\r\ncontent-length: nope\r\n\r\n");
            break;
          default: // hang: the caller's deadline has to end it
            break;
        }
      },
      () => {},
    );
  });
  await runChaos({
    transport: createHttp1Transport({ baseUrl: server.url, connections: 32 }),
    server,
    behaviours,
    deadlineMs: DEADLINE_MS,
  });
});

test("nothing is left open", async () => {
  await assertNoLeaks(baseline);
});

test.run();
