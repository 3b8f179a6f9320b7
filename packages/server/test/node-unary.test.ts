import { Code, ConnectError, Metadata, type ServerRequest } from "@connect-ts/protocol";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { rawCall } from "./helpers/raw-client.js";
import { modes, routerOf, startServer } from "./helpers/servers.js";

// Each mode (HTTP/1.1, HTTPS, h2c, HTTP/2 over TLS) serves a hand-written
// handler; Node's own clients check what arrives on the wire.

for (const mode of modes) {
  test(`${mode}: request line, headers and body reach the handler; the answer comes back whole`, async () => {
    let seen: ServerRequest | undefined;
    let seenBody: Uint8Array | undefined;
    const router = routerOf(async (req) => {
      seen = req;
      seenBody = await req.body.readAll(1024);
      const headers = new Metadata()
        .set("content-type", "application/octet-stream")
        .append("x-multi", "a")
        .append("x-multi", "b");
      return { status: 201, headers, body: Uint8Array.from(seenBody).reverse() };
    });
    const server = await startServer(router, mode);
    try {
      const res = await rawCall(server.url, mode, {
        path: "/pkg.Svc/Method?connect=v1&encoding=json",
        headers: { "x-in": "hello", "content-type": "application/proto" },
        body: new Uint8Array([1, 2, 3]),
      });
      assert.is(res.status, 201);
      assert.equal([...res.body], [3, 2, 1]);
      assert.is(res.headers["content-length"], "3");
      assert.is(res.headers["x-multi"], "a, b");
      assert.ok(seen);
      assert.is(seen.method, "POST");
      assert.is(seen.path, "/pkg.Svc/Method");
      assert.is(seen.query, "connect=v1&encoding=json");
      assert.is(seen.httpVersion, mode.startsWith("h2") ? "2" : "1.1");
      assert.is(seen.headers.get("x-in"), "hello");
      assert.is(seen.headers.get("content-type"), "application/proto");
      assert.not.ok(seen.headers.has(":path"), "pseudo-headers are not metadata");
      assert.equal([...(seenBody ?? [])], [1, 2, 3]);
      assert.not.ok(seen.signal.aborted);
    } finally {
      await server.close();
    }
  });

  test(`${mode}: readAll enforces its limit while reading, declared or not`, async () => {
    const errors: unknown[] = [];
    const router = routerOf(async (req) => {
      try {
        await req.body.readAll(1000);
      } catch (err) {
        errors.push(err);
      }
      return { status: 413, headers: new Metadata(), body: undefined };
    });
    const server = await startServer(router, mode);
    try {
      const big = new Uint8Array(64 * 1024);
      // With a content-length: refused before reading.
      const a = await rawCall(server.url, mode, { path: "/x", body: big });
      assert.is(a.status, 413);
      // Chunked, no content-length: refused once the count passes the limit.
      const b = await rawCall(server.url, mode, {
        path: "/x",
        body: [big.subarray(0, 600), big.subarray(600, 1200), big.subarray(1200)],
      });
      assert.is(b.status, 413);
      assert.is(errors.length, 2);
      for (const err of errors) {
        assert.instance(err, ConnectError);
        assert.is((err as ConnectError).code, Code.ResourceExhausted);
      }
    } finally {
      await server.close();
    }
  });

  test(`${mode}: a GET without a body reads as empty`, async () => {
    const router = routerOf(async (req) => {
      const body = await req.body.readAll(10);
      return {
        status: 200,
        headers: new Metadata({ "x-len": String(body.length), "x-query": req.query }),
        body: undefined,
      };
    });
    const server = await startServer(router, mode);
    try {
      const res = await rawCall(server.url, mode, { method: "GET", path: "/a/b?x=1" });
      assert.is(res.status, 200);
      assert.is(res.headers["x-len"], "0");
      assert.is(res.headers["x-query"], "x=1");
      assert.is(res.body.length, 0);
      assert.is(res.headers["content-length"], "0", "an empty answer is not chunked");
    } finally {
      await server.close();
    }
  });

  test(`${mode}: a router that rejects yields a Connect internal error, not a crash`, async () => {
    const router = routerOf(async () => {
      throw new Error("boom");
    });
    const server = await startServer(router, mode);
    try {
      const res = await rawCall(server.url, mode, {
        path: "/x",
        headers: { "content-type": "application/json" },
        body: new TextEncoder().encode("{}"),
      });
      assert.is(res.status, 500);
      assert.is(JSON.parse(res.body.toString()).code, "internal");
    } finally {
      await server.close();
    }
  });

  test(`${mode}: unary trailers are sent as HTTP trailers`, async () => {
    const router = routerOf(async () => ({
      status: 200,
      headers: new Metadata({ "content-type": "application/grpc" }),
      body: new Uint8Array([0, 0, 0, 0, 0]),
      trailers: new Metadata({ "grpc-status": "0", "x-t": "v" }),
    }));
    const server = await startServer(router, mode);
    try {
      const res = await rawCall(server.url, mode, { path: "/x", headers: { te: "trailers" } });
      assert.is(res.status, 200);
      assert.is(res.body.length, 5);
      assert.is(res.trailers["grpc-status"], "0");
      assert.is(res.trailers["x-t"], "v");
    } finally {
      await server.close();
    }
  });
}

test("an HTTP/2 TLS server with allowHTTP1 serves HTTP/1.1 clients through the same handler", async () => {
  const versions: string[] = [];
  const router = routerOf(async (req) => {
    versions.push(req.httpVersion);
    return { status: 200, headers: new Metadata(), body: await req.body.readAll(100) };
  });
  const server = await startServer(router, "h2-tls");
  try {
    const h1 = await rawCall(server.url, "h1-tls", { path: "/x", body: new Uint8Array([1]) });
    const h2 = await rawCall(server.url, "h2-tls", { path: "/x", body: new Uint8Array([2]) });
    assert.equal([h1.status, h2.status], [200, 200]);
    assert.equal([...h1.body, ...h2.body], [1, 2]);
    assert.equal(versions, ["1.1", "2"]);
  } finally {
    await server.close();
  }
});

test.run();
