// Many calls at once against a server that misbehaves in every way it can:
// every call must settle (no hang) with a response or a ConnectError, and
// nothing may be left open afterwards.
import { type Behaviours, runChaos } from "@connect-ts/test-support";
import { test } from "uvu";
import { createHttp2Transport } from "../src/index.js";
import { readStream, startH2Server } from "./helpers/h2-server.js";
import { assertNoLeaks, resourceBaseline } from "./helpers/leaks.js";

const baseline = resourceBaseline();
const DEADLINE_MS = 300;

/** What the server does with a call, with how often (out of 100) it does it. */
const behaviours: Behaviours = [
  ["ok", 40],
  ["slow", 20],
  ["reset", 10],
  ["partial", 10],
  ["hang", 10],
  ["goaway", 6],
  ["drop", 4],
];

test("300 calls against a misbehaving server all settle, and leave nothing open", async () => {
  const server = await startH2Server(
    (stream, headers) => {
      const behaviour = String(headers[":path"]).slice(1);
      void readStream(stream).then(
        (body) => {
          if (stream.destroyed) return;
          switch (behaviour) {
            case "ok":
              stream.respond({ ":status": 200 });
              stream.end(body);
              break;
            case "slow":
              stream.respond({ ":status": 200 });
              stream.write(body);
              setTimeout(() => !stream.destroyed && stream.end(body), 20);
              break;
            case "reset":
              stream.respond({ ":status": 200 });
              stream.write(body, () => stream.destroy(new Error("reset")));
              break;
            case "drop":
              // At the TCP level, as a proxy would: Node's own session.destroy()
              // from a stream handler, amid such a storm, can corrupt its heap.
              server.dropConnections();
              break;
            case "goaway":
              stream.session?.close();
              stream.respond({ ":status": 200 });
              stream.end(body);
              break;
            case "partial":
              stream.respond({ ":status": 200, "content-length": "1000" });
              stream.write(body, () => stream.destroy());
              break;
            default: // hang: the caller's deadline has to end it
              break;
          }
        },
        () => {},
      );
    },
    { settings: { maxConcurrentStreams: 20 } },
  );
  await runChaos({
    transport: createHttp2Transport({ baseUrl: server.url, maxSessions: 8 }),
    server,
    behaviours,
    deadlineMs: DEADLINE_MS,
  });
});

test("nothing is left open", async () => {
  await assertNoLeaks(baseline);
});

test.run();
