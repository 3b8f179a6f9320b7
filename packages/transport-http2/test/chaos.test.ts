// Many calls at once against a server that misbehaves in every way it can:
// every call must settle (no hang) with a response or a ConnectError, and
// nothing may be left open afterwards.
import { ConnectError, type HttpRequest, Metadata } from "@connect-ts/protocol";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createHttp2Transport } from "../src/index.js";
import { readStream, startH2Server } from "./helpers/h2-server.js";
import { assertNoLeaks, resourceBaseline } from "./helpers/leaks.js";
import { bytes, sleep, within } from "./helpers/util.js";

const baseline = resourceBaseline();
const DEADLINE_MS = 300;

/** A small deterministic generator, so that a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** What the server does with a call, with how often (out of 100) it does it. */
const behaviours = [
  ["ok", 40],
  ["slow", 20],
  ["reset", 10],
  ["partial", 10],
  ["hang", 10],
  ["goaway", 6],
  ["drop", 4],
] as const;

function pick(roll: number): string {
  let left = roll * 100;
  for (const [name, weight] of behaviours) {
    left -= weight;
    if (left < 0) return name;
  }
  return "ok";
}

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
  const transport = createHttp2Transport({ baseUrl: server.url, maxSessions: 8 });
  const next = random(42);
  const outcomes = new Map<string, number>();
  const calls = Array.from({ length: 300 }, async (_, i) => {
    await sleep(Math.floor(next() * 200));
    const behaviour = pick(next());
    // One controller for both the caller's cancel and the deadline: on Node 20,
    // AbortSignal.any() over AbortSignal.timeout() can lose the timeout to GC.
    const controller = new AbortController();
    const signal = controller.signal;
    const abortAfter = next() < 0.2 ? Math.floor(next() * 50) : -1;
    const cancel = abortAfter >= 0 ? setTimeout(() => controller.abort(), abortAfter) : undefined;
    const deadline = setTimeout(
      () => controller.abort(new DOMException("deadline", "TimeoutError")),
      DEADLINE_MS,
    );
    const body: HttpRequest["body"] =
      next() < 0.5
        ? bytes(`call ${i}`)
        : (async function* () {
            yield bytes(`call ${i}`);
          })();
    const read = next();
    try {
      const res = await transport.request({
        method: "POST",
        url: `${server.url}/${behaviour}`,
        headers: new Metadata(),
        body,
        signal,
      });
      if (read < 0.4) await res.body.readAll(10_000);
      else if (read < 0.8) for await (const _ of res.body);
      else res.body.cancel();
      outcomes.set("ok", (outcomes.get("ok") ?? 0) + 1);
    } catch (error) {
      assert.instance(error, ConnectError, String(error));
      const name = (error as ConnectError).message.split("]")[0]!.slice(1);
      outcomes.set(name, (outcomes.get(name) ?? 0) + 1);
    } finally {
      clearTimeout(cancel);
      clearTimeout(deadline);
    }
  });
  try {
    await within(Promise.all(calls), 10_000, "all calls settled");
    // Some calls get through, and the others fail in more than one way.
    assert.ok((outcomes.get("ok") ?? 0) >= 30, JSON.stringify([...outcomes]));
    assert.ok(outcomes.size >= 3, JSON.stringify([...outcomes]));
  } finally {
    await transport.close();
    await server.close();
  }
});

test("nothing is left open", async () => {
  await assertNoLeaks(baseline);
});

test.run();
