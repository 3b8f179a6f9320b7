import { spawn } from "node:child_process";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readStream, startH2Server } from "./helpers/h2-server.js";
import { assertNoLeaks, resourceBaseline } from "./helpers/leaks.js";

const baseline = resourceBaseline();

/** Runs a client script from helpers/ against an echo server; its exit code and output. */
async function runClient(script: string): Promise<{ code: number | null; out: string }> {
  const server = await startH2Server((stream) => {
    void readStream(stream).then((body) => {
      stream.respond({ ":status": 200 });
      stream.end(body);
    });
  });
  const child = spawn(
    process.execPath,
    ["--import", "tsx", new URL(`./helpers/${script}`, import.meta.url).pathname, server.url],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => child.kill(), 20_000);
    child.on("exit", (exitCode) => {
      clearTimeout(timer);
      resolve(exitCode);
    });
  });
  await server.close();
  return { code, out: out.trim() };
}

test("an idle session, pinging, does not keep the process alive", async () => {
  const started = performance.now();
  const { code, out } = await runClient("idle-client.ts");
  assert.is(code, 0, "the child was still running after 20 s");
  assert.is(out, "status 200");
  // Far below the 60 s idle timeout: nothing held the loop open.
  assert.ok(performance.now() - started < 15_000);
});

test("await close() settles in a script whose only handle is the idle session", async () => {
  const { code, out } = await runClient("close-client.ts");
  // Exit code 13: the loop emptied with the close() promise still pending.
  assert.is(code, 0, `exit code ${code}: close() did not settle`);
  assert.is(out, "status 200, closed");
});

test("nothing is left open", async () => {
  await assertNoLeaks(baseline);
});

test.run();
