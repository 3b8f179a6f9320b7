// The example of README.md, kept runnable: if this breaks, the README is wrong.
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  Code,
  ConnectError,
  createClient,
  createMemoryTransport,
  createRouter,
  registerService,
} from "../src/index.js";
import { TestService } from "./gen/testpb/v1/test_pb.js";

test("README example", async () => {
  const log: string[] = [];
  // --- example start
  const router = createRouter([
    registerService(TestService, {
      async unary(req, ctx) {
        ctx.responseHeaders.set("x-greeted", "yes");
        if (req.text === "") throw new ConnectError("text is required", Code.InvalidArgument);
        return { text: `Hello, ${req.text}!` };
      },
      async *serverStream(req) {
        for (let i = 0; i < req.count; i++) yield { text: req.text, index: i };
      },
    }),
  ]);
  const client = createClient(TestService, createMemoryTransport(router), { codec: "json" });

  const res = await client.unary({ text: "Connect" }, { timeoutMs: 1000 });
  log.push(res.text); // "Hello, Connect!"
  for await (const r of client.serverStream({ text: "tick", count: 2 }))
    log.push(`${r.text} ${r.index}`);
  try {
    await client.unary({ text: "" });
  } catch (e) {
    if (e instanceof ConnectError) log.push(`${Code[e.code]}: ${e.rawMessage}`);
  }
  // --- example end
  assert.equal(log, ["Hello, Connect!", "tick 0", "tick 1", "InvalidArgument: text is required"]);
});

test.run();
