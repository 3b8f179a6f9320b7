import * as http from "node:http";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { defaultKeepAliveTimeoutMs, listen } from "../src/index.js";
import { within } from "./helpers/gate.js";

test("listen() keeps idle HTTP/1.1 connections longer than Node's 5 s default, unless told otherwise", async () => {
  const plain = await listen([], { httpVersion: "1.1", host: "127.0.0.1" });
  const tuned = await listen([], {
    httpVersion: "1.1",
    host: "127.0.0.1",
    http1: { keepAliveTimeout: 1234 },
  });
  try {
    assert.ok(defaultKeepAliveTimeoutMs > 90_000, "outlasts a 90 s client idle reuse");
    assert.is((plain.server as http.Server).keepAliveTimeout, defaultKeepAliveTimeoutMs);
    assert.is((tuned.server as http.Server).keepAliveTimeout, 1234);
  } finally {
    await plain.close();
    await tuned.close();
  }
});

test("close() does not wait for an idle kept-alive connection to time out", async () => {
  const server = await listen([], { httpVersion: "1.1", host: "127.0.0.1" });
  const agent = new http.Agent({ keepAlive: true });
  try {
    // Any answer will do (404 for a path no service serves): the connection stays open and idle.
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${server.url}/nowhere`, { method: "POST", agent }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      });
      req.on("error", reject);
      req.end();
    });
    assert.ok(status >= 400);
    const open = Object.values(agent.freeSockets).flat().length;
    assert.is(open, 1, "one idle connection kept by the client");
    await within(3000, server.close(), "close() with an idle connection open");
  } finally {
    agent.destroy();
  }
});

test.run();
