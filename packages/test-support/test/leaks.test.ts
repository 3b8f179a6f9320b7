import { createServer } from "node:net";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { assertNoLeaks, resourceBaseline } from "../src/leaks.js";

test("a server left listening is reported, and passes once closed", async () => {
  const baseline = resourceBaseline();
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const error = await assertNoLeaks(baseline).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.instance(error, Error);
  assert.match((error as Error).message, "TCPServerWrap x1");
  await new Promise((resolve) => server.close(resolve));
  await assertNoLeaks(baseline);
});

test("a timer left pending is reported", async () => {
  const baseline = resourceBaseline();
  const timer = setTimeout(() => {}, 60_000);
  const error = await assertNoLeaks(baseline).then(
    () => undefined,
    (e: unknown) => e,
  );
  clearTimeout(timer);
  assert.match(String(error), "Timeout x1");
  await assertNoLeaks(baseline);
});

test.run();
