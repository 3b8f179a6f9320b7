import { execFile } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:http2";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import { registerService } from "@connect-ts/protocol";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createConnectHandler } from "../src/index.js";
import { TestService } from "./gen/servertest/v1/test_pb.js";

// The README's first example, with the test service in place of Eliza: a
// handler on a plain h2c server, called with the README's curl command, and
// shut down the way the README does it.

test("README: an h2c server with a service, curl, then a graceful stop", async () => {
  const handler = createConnectHandler([
    registerService(TestService, {
      async echo(req, ctx) {
        ctx.responseHeaders.set("x-served-by", "readme");
        return { text: `You said: ${req.text}` };
      },
    }),
  ]);
  const server = createServer().listen(0, "127.0.0.1");
  server.on("stream", handler.stream);
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  try {
    const { stdout } = await promisify(execFile)(
      "curl",
      [
        "-sS",
        "-i",
        "--http2-prior-knowledge",
        "-H",
        "content-type: application/json",
        "--data",
        '{"text":"hi"}',
        `http://127.0.0.1:${port}/servertest.v1.TestService/Echo`,
      ],
      { timeout: 10_000 },
    );
    assert.match(stdout, /^HTTP\/2 200/);
    assert.match(stdout, /x-served-by: readme/);
    assert.is(JSON.parse(stdout.slice(stdout.indexOf("{"))).text, "You said: hi");
  } finally {
    await handler.shutdown({ graceMs: 10_000 });
    server.close();
    await once(server, "close");
  }
});

test.run();
