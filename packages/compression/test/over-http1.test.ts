// The same round trips over HTTP/1.1: our undici-based client against our
// server, and a connect-es client sending gzip and brotli to it.
import { EchoService } from "@connect-ts/test-support/echo";
import { createClient as createEsClient } from "@connectrpc/connect";
import {
  compressionBrotli,
  compressionGzip,
  createConnectTransport,
} from "@connectrpc/connect-node";
import { createClient, type Protocol } from "@connect-ts/protocol";
import { createHttp1Transport } from "@connect-ts/transport-http1";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { brotli, deflate, gzip, zstd } from "../src/node/index.js";
import { startEchoServer, textPayload } from "./helpers/echo-server.js";

const all = [gzip, brotli, zstd, deflate];
const { server, seen } = await startEchoServer(all, { httpVersion: "1.1" });
const transport = createHttp1Transport({ baseUrl: server.url });
const big = textPayload(48 * 1024);

for (const protocol of ["connect", "grpc-web"] as Protocol[]) {
  for (const codec of all) {
    test(`HTTP/1.1 ${protocol} ${codec.name}: every method kind, compressed both ways`, async () => {
      const client = createClient(EchoService, transport, {
        protocol,
        compression: { send: codec, accept: [codec] },
      });
      const before = seen.length;
      const res = await client.echo({ text: "u", payload: big });
      assert.ok(Buffer.from(res.payload).equals(Buffer.from(big)));
      const header = protocol === "connect" ? "content-encoding" : "grpc-encoding";
      assert.is(seen[before]![header], codec.name);
      let n = 0;
      for await (const r of client.echoServer({ text: "s", payload: big, count: 3 })) {
        assert.ok(Buffer.from(r.payload).equals(Buffer.from(big)));
        n++;
      }
      assert.is(n, 3);
      const sum = await client.echoClient([
        { text: "a", payload: big },
        { text: "b", payload: big },
      ]);
      assert.is(sum.index, 2 * big.length);
      // Half duplex: the requests go whole, then the answers come.
      const got: string[] = [];
      for await (const r of client.echoBidi([{ text: "x", payload: big }, { text: "y" }])) {
        got.push(r.text);
      }
      assert.equal(got, ["x", "y"]);
    });
  }
}

for (const es of [compressionGzip, compressionBrotli]) {
  test(`HTTP/1.1: connect-es client sends and reads ${es.name}`, async () => {
    const client = createEsClient(
      EchoService,
      createConnectTransport({
        baseUrl: server.url,
        httpVersion: "1.1",
        sendCompression: es,
        acceptCompression: [es],
      }),
    );
    const before = seen.length;
    const res = await client.echo({ payload: big });
    assert.ok(Buffer.from(res.payload).equals(Buffer.from(big)));
    assert.is(seen[before]!["content-encoding"], es.name);
    let n = 0;
    for await (const r of client.echoServer({ payload: big, count: 2 })) {
      assert.is(r.payload.length, big.length);
      n++;
    }
    assert.is(n, 2);
  });
}

test.after(async () => {
  await transport.close();
  await server.close();
});

test.run();
