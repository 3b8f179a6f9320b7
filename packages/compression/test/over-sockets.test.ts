// Every algorithm, every method kind, both directions, between our client
// (HTTP/2 transport) and our server on a loopback socket; over Connect, and
// the same over gRPC and gRPC-Web.
import { Code, ConnectError, createClient, type Protocol } from "@connect-ts/protocol";
import { EchoService } from "@connect-ts/test-support/echo";
import { createHttp2Transport } from "@connect-ts/transport-http2";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { brotli, deflate, gzip, zstd } from "../src/node/index.js";
import { type SeenHeaders, startEchoServer, textPayload } from "./helpers/echo-server.js";

const all = [gzip, brotli, zstd, deflate];
const { server, seen } = await startEchoServer(all);
const transport = createHttp2Transport({ baseUrl: server.url });
const big = textPayload(64 * 1024);

function last(seenHeaders: SeenHeaders): Record<string, string | string[]> {
  return seenHeaders[seenHeaders.length - 1]!;
}

for (const codec of all) {
  const client = createClient(EchoService, transport, {
    compression: { send: codec, accept: [codec] },
  });

  test(`${codec.name}: unary, compressed both ways`, async () => {
    const rpc = createClient(EchoService, transport, {
      compression: { send: codec, accept: [codec] },
    });
    const res = await rpc.echo({ text: "u", payload: big });
    assert.ok(Buffer.from(res.payload).equals(Buffer.from(big)));
    assert.is(last(seen)["content-encoding"], codec.name);
    assert.match(String(last(seen)["accept-encoding"]), codec.name);
  });

  test(`${codec.name}: the response really comes back compressed`, async () => {
    const { RpcClient } = await import("@connect-ts/protocol");
    const rpc = new RpcClient(transport, { compression: { send: codec, accept: [codec] } });
    const out = await rpc.callUnary(EchoService.method.echo, { text: "h", payload: big });
    assert.is(out.error, undefined);
    assert.is(out.headers.get("content-encoding"), codec.name);
  });

  test(`${codec.name}: server stream`, async () => {
    let n = 0;
    for await (const r of client.echoServer({ text: "s", payload: big, count: 5 })) {
      assert.is(r.payload.length, big.length);
      assert.is(r.index, n++);
    }
    assert.is(n, 5);
    assert.is(last(seen)["connect-content-encoding"], codec.name);
  });

  test(`${codec.name}: client stream`, async () => {
    async function* requests() {
      for (let i = 0; i < 4; i++) yield { text: `m${i}`, payload: big };
    }
    const res = await client.echoClient(requests());
    assert.is(res.text, "m0,m1,m2,m3");
    assert.is(res.index, 4 * big.length);
    assert.is(last(seen)["connect-content-encoding"], codec.name);
  });

  test(`${codec.name}: bidi`, async () => {
    const got: string[] = [];
    for await (const r of client.echoBidi([
      { text: "a", payload: big },
      { text: "b", payload: big },
    ])) {
      assert.ok(Buffer.from(r.payload).equals(Buffer.from(big)));
      got.push(r.text);
    }
    assert.equal(got, ["a", "b"]);
  });

  test(`${codec.name}: compressed error bodies and end-of-stream messages are read`, async () => {
    const err = await client.echo({ failWith: "failed_precondition" }).catch((e) => e);
    assert.instance(err, ConnectError);
    assert.is((err as ConnectError).code, Code.FailedPrecondition);
    assert.match((err as ConnectError).rawMessage, /^failed as asked: x{2000}$/);
    const stream = client.echoServer({ text: "e", count: 2, failWith: "aborted" });
    let n = 0;
    const streamErr = await (async () => {
      for await (const _ of stream) n++;
    })().catch((e) => e);
    assert.is(n, 2);
    assert.is((streamErr as ConnectError).code, Code.Aborted);
    assert.match((streamErr as ConnectError).rawMessage, /^stream failed as asked: y{2000}$/);
  });
}

/** The request header that names the encoding of request messages, per protocol and kind. */
function encodingHeader(protocol: Protocol, unary: boolean): string {
  if (protocol !== "connect") return "grpc-encoding";
  return unary ? "content-encoding" : "connect-content-encoding";
}

for (const protocol of ["grpc", "grpc-web"] as const) {
  for (const codec of all) {
    const client = createClient(EchoService, transport, {
      protocol,
      compression: { send: codec, accept: [codec] },
    });
    test(`${protocol} ${codec.name}: every method kind, compressed both ways`, async () => {
      const res = await client.echo({ text: "u", payload: big });
      assert.ok(Buffer.from(res.payload).equals(Buffer.from(big)));
      assert.is(last(seen)[encodingHeader(protocol, true)], codec.name);
      assert.match(String(last(seen)["grpc-accept-encoding"]), codec.name);
      let n = 0;
      for await (const r of client.echoServer({ text: "s", payload: big, count: 3 })) {
        assert.is(r.payload.length, big.length);
        n++;
      }
      assert.is(n, 3);
      const sum = await client.echoClient([
        { text: "a", payload: big },
        { text: "b", payload: big },
      ]);
      assert.is(sum.index, 2 * big.length);
      const got: string[] = [];
      for await (const r of client.echoBidi([{ text: "x", payload: big }, { text: "y" }]))
        got.push(r.text);
      assert.equal(got, ["x", "y"]);
    });
    test(`${protocol} ${codec.name}: the response really comes back compressed`, async () => {
      const { RpcClient } = await import("@connect-ts/protocol");
      const rpc = new RpcClient(transport, { protocol, compression: { accept: [codec] } });
      const out = await rpc.callUnary(EchoService.method.echo, { payload: big });
      assert.is(out.error, undefined);
      assert.is(out.headers.get("grpc-encoding"), codec.name);
    });
    test(`${protocol} ${codec.name}: errors with long messages come through`, async () => {
      const err = await client.echo({ failWith: "out_of_range" }).catch((e) => e);
      assert.is((err as ConnectError).code, Code.OutOfRange);
      assert.match((err as ConnectError).rawMessage, /^failed as asked: x{2000}$/);
    });
  }
  test(`${protocol}: sending an encoding the server lacks fails with unimplemented`, async () => {
    const { server: gzipOnly } = await startEchoServer([gzip]);
    const t = createHttp2Transport({ baseUrl: gzipOnly.url });
    try {
      const client = createClient(EchoService, t, {
        protocol,
        compression: { send: zstd, accept: [zstd] },
      });
      const err = await client.echo({ payload: big }).catch((e) => e);
      assert.instance(err, ConnectError);
      assert.is((err as ConnectError).code, Code.Unimplemented);
    } finally {
      await t.close();
      await gzipOnly.close();
    }
  });
}

test("messages under the minimum size go uncompressed", async () => {
  const client = createClient(EchoService, transport, {
    compression: { send: gzip, accept: [gzip] },
  });
  await client.echo({ text: "tiny" });
  assert.is(last(seen)["content-encoding"], undefined);
  const sized = createClient(EchoService, transport, {
    compression: { send: gzip, accept: [gzip], minBytes: 0 },
  });
  await sized.echo({ text: "tiny" });
  assert.is(last(seen)["content-encoding"], "gzip");
});

test("a client preferring zstd but accepting gzip from a gzip-only server", async () => {
  const { server: gzipOnly } = await startEchoServer([gzip]);
  try {
    const t = createHttp2Transport({ baseUrl: gzipOnly.url });
    const { RpcClient } = await import("@connect-ts/protocol");
    const rpc = new RpcClient(t, { compression: { accept: [zstd, gzip] } });
    const out = await rpc.callUnary(EchoService.method.echo, { payload: big });
    assert.is(out.error, undefined);
    assert.is(out.headers.get("content-encoding"), "gzip");
    await t.close();
  } finally {
    await gzipOnly.close();
  }
});

test("sending an encoding the server lacks fails with unimplemented, naming what it has", async () => {
  const { server: gzipOnly } = await startEchoServer([gzip]);
  try {
    const t = createHttp2Transport({ baseUrl: gzipOnly.url });
    for (const method of ["unary", "stream"] as const) {
      const client = createClient(EchoService, t, { compression: { send: zstd, accept: [zstd] } });
      const call =
        method === "unary" ? client.echo({ payload: big }) : client.echoClient([{ payload: big }]);
      const err = await call.catch((e) => e);
      assert.instance(err, ConnectError, method);
      assert.is((err as ConnectError).code, Code.Unimplemented, method);
      assert.match((err as ConnectError).rawMessage, "gzip");
    }
    await t.close();
  } finally {
    await gzipOnly.close();
  }
});

test.after(async () => {
  await transport.close();
  await server.close();
});

test.run();
