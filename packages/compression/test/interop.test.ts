// Interop with connect-es over loopback HTTP/2: its client sending gzip and
// brotli to our server, and our client reading them from its server.
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { EchoService } from "@connect-ts/test-support/echo";
import {
  createClient as createEsClient,
  type Interceptor as EsInterceptor,
} from "@connectrpc/connect";
import {
  compressionBrotli,
  compressionGzip,
  connectNodeAdapter,
  createConnectTransport,
} from "@connectrpc/connect-node";
import { createClient, RpcClient } from "@connect-ts/protocol";
import { createHttp2Transport } from "@connect-ts/transport-http2";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { brotli, gzip, zstd } from "../src/node/index.js";
import { startEchoServer, textPayload } from "./helpers/echo-server.js";

const big = textPayload(32 * 1024);
const pairs = [
  { es: compressionGzip, ours: gzip },
  { es: compressionBrotli, ours: brotli },
] as const;

// Our server, with every algorithm.
const ours = await startEchoServer([gzip, brotli, zstd]);

// A connect-es server, recording the encodings it was sent.
const esSeen: Array<string | null> = [];
const record: EsInterceptor = (next) => async (req) => {
  esSeen.push(req.header.get("content-encoding") ?? req.header.get("connect-content-encoding"));
  return next(req);
};
const esServer = http2.createServer(
  connectNodeAdapter({
    acceptCompression: [compressionGzip, compressionBrotli],
    interceptors: [record],
    routes: (router) =>
      router.service(EchoService, {
        echo: (req) => ({ text: req.text, payload: req.payload }),
        async *echoServer(req) {
          for (let i = 0; i < req.count; i++)
            yield { text: req.text, payload: req.payload, index: i };
        },
        async echoClient(reqs) {
          const texts: string[] = [];
          for await (const r of reqs) texts.push(r.text);
          return { text: texts.join(",") };
        },
        async *echoBidi(reqs) {
          for await (const r of reqs) yield { text: r.text, payload: r.payload };
        },
      }),
  }),
);
await new Promise<void>((resolve) => esServer.listen(0, "127.0.0.1", resolve));
const esUrl = `http://127.0.0.1:${(esServer.address() as AddressInfo).port}`;

for (const { es, ours: codec } of pairs) {
  test(`connect-es client sends ${es.name} to our server (unary and streams)`, async () => {
    const transport = createConnectTransport({
      baseUrl: ours.server.url,
      httpVersion: "2",
      sendCompression: es,
      acceptCompression: [es],
    });
    const client = createEsClient(EchoService, transport);
    const before = ours.seen.length;
    const res = await client.echo({ text: "es", payload: big });
    assert.ok(Buffer.from(res.payload).equals(Buffer.from(big)));
    assert.is(ours.seen[before]!["content-encoding"], es.name);
    let n = 0;
    for await (const r of client.echoServer({ text: "s", payload: big, count: 3 })) {
      assert.is(r.payload.length, big.length);
      n++;
    }
    assert.is(n, 3);
    assert.is(ours.seen[before + 1]!["connect-content-encoding"], es.name);
    async function* requests() {
      yield { text: "a", payload: big };
      yield { text: "b", payload: big };
    }
    assert.is((await client.echoClient(requests())).text, "a,b");
  });

  test(`connect-es client reads ${es.name} responses from our server`, async () => {
    // Sends uncompressed, asks for compressed answers.
    let encoding: string | null = null;
    const peek: EsInterceptor = (next) => async (req) => {
      const res = await next(req);
      encoding = res.header.get("content-encoding");
      return res;
    };
    const transport = createConnectTransport({
      baseUrl: ours.server.url,
      httpVersion: "2",
      acceptCompression: [es],
      interceptors: [peek],
    });
    const res = await createEsClient(EchoService, transport).echo({ payload: big });
    assert.is(res.payload.length, big.length);
    assert.is(encoding, es.name);
  });

  test(`our client sends ${codec.name} to a connect-es server and reads its ${codec.name} answers`, async () => {
    const transport = createHttp2Transport({ baseUrl: esUrl });
    try {
      const before = esSeen.length;
      const rpc = new RpcClient(transport, { compression: { send: codec, accept: [codec] } });
      const out = await rpc.callUnary(EchoService.method.echo, { text: "ours", payload: big });
      assert.is(out.error, undefined);
      assert.ok(Buffer.from(out.message!.payload).equals(Buffer.from(big)));
      assert.is(out.headers.get("content-encoding"), codec.name);
      assert.is(esSeen[before], codec.name);
      const client = createClient(EchoService, transport, {
        compression: { send: codec, accept: [codec] },
      });
      let n = 0;
      for await (const r of client.echoServer({ text: "s", payload: big, count: 3 })) {
        assert.ok(Buffer.from(r.payload).equals(Buffer.from(big)));
        n++;
      }
      assert.is(n, 3);
      assert.is(esSeen[before + 1], codec.name);
      const got: string[] = [];
      for await (const r of client.echoBidi([{ text: "x", payload: big }, { text: "y" }]))
        got.push(r.text);
      assert.equal(got, ["x", "y"]);
    } finally {
      await transport.close();
    }
  });
}

test("our zstd client falls back to what a connect-es server has (it has no zstd)", async () => {
  const transport = createHttp2Transport({ baseUrl: esUrl });
  try {
    const rpc = new RpcClient(transport, { compression: { accept: [zstd, brotli, gzip] } });
    const out = await rpc.callUnary(EchoService.method.echo, { payload: big });
    assert.is(out.error, undefined);
    assert.ok(["br", "gzip"].includes(out.headers.get("content-encoding") ?? ""));
  } finally {
    await transport.close();
  }
});

test.after(async () => {
  await ours.server.close();
  esServer.close();
});

test.run();
