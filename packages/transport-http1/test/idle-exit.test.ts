import { spawn } from "node:child_process";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readRequest, startH1Server } from "./helpers/h1-server.js";
import { assertNoLeaks, resourceBaseline } from "./helpers/leaks.js";

const baseline = resourceBaseline();

test("an idle keep-alive connection does not keep the process alive", async () => {
  const server = await startH1Server((req, res) => {
    void readRequest(req).then((body) => res.end(body));
  });
  // The server keeps idle connections open longer than the test runs.
  server.server.keepAliveTimeout = 60_000;
  const child = spawn(
    process.execPath,
    ["--import", "tsx", new URL("./helpers/idle-client.ts", import.meta.url).pathname, server.url],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  const started = performance.now();
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => child.kill(), 20_000);
    child.on("exit", (exitCode) => {
      clearTimeout(timer);
      resolve(exitCode);
    });
  });
  assert.is(code, 0, "the child was still running after 20 s");
  assert.is(out.trim(), "status 200");
  // Far below the 60 s keep-alive timeout: nothing held the loop open.
  assert.ok(performance.now() - started < 15_000);
  await server.close();
});

test("nothing is left open", async () => {
  await assertNoLeaks(baseline);
});

test.run();
