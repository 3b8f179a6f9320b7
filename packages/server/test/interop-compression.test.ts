import * as http from "node:http";
import { createClient as createEsClient } from "@connectrpc/connect";
import {
  compressionBrotli,
  compressionGzip,
  createConnectTransport,
  createGrpcTransport,
  Http2SessionManager,
} from "@connectrpc/connect-node";
import { brotli, gzip, zstd } from "@connect-ts/compression";
import { RpcClient } from "@connect-ts/protocol";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { startServer } from "./helpers/servers.js";
import { TestService, testService } from "./helpers/test-service.js";
import { transportFor } from "./helpers/transports.js";

// Compression negotiated through the adapter: the server accepts and answers
// with gzip, br and zstd; connect-es and our clients ask for them.

const big = new TextEncoder().encode("compressible ".repeat(2000));

test("connect-es over HTTP/1.1: gzip requests, a gzip answer, both ways", async () => {
  const server = await startServer([testService()], "h1", { compression: [zstd, brotli, gzip] });
  const agent = new http.Agent({ keepAlive: true });
  try {
    const client = createEsClient(
      TestService,
      createConnectTransport({
        baseUrl: server.url,
        httpVersion: "1.1",
        sendCompression: compressionGzip,
        acceptCompression: [compressionGzip],
        nodeOptions: { agent },
      }),
    );
    let encoding: string | null = null;
    const res = await client.echo(
      { text: "zip", payload: big },
      { onHeader: (h) => (encoding = h.get("content-encoding")) },
    );
    assert.is(res.payload.length, big.length);
    assert.is(encoding, "gzip");
  } finally {
    agent.destroy();
    await server.close();
  }
});

test("connect-es gRPC over h2c: brotli answers to a client that prefers it", async () => {
  const server = await startServer([testService()], "h2c", { compression: [zstd, brotli, gzip] });
  const sessionManager = new Http2SessionManager(server.url);
  try {
    const client = createEsClient(
      TestService,
      createGrpcTransport({
        baseUrl: server.url,
        sessionManager,
        sendCompression: compressionBrotli,
        acceptCompression: [compressionBrotli, compressionGzip],
      }),
    );
    let encoding: string | null = null;
    const res = await client.echo(
      { text: "br", payload: big },
      { onHeader: (h) => (encoding = h.get("grpc-encoding")) },
    );
    assert.is(res.payload.length, big.length);
    assert.is(encoding, "br");
  } finally {
    sessionManager.abort();
    await server.close();
  }
});

test("our client over h2c: zstd both ways", async () => {
  const server = await startServer([testService()], "h2c", { compression: [zstd, gzip] });
  const transport = transportFor("h2c", server.url);
  try {
    const rpc = new RpcClient(transport, { compression: { send: zstd, accept: [zstd] } });
    const out = await rpc.callUnary(TestService.method.echo, { text: "z", payload: big });
    assert.is(out.error, undefined);
    assert.is(out.message?.payload.length, big.length);
    assert.is(out.headers.get("content-encoding"), "zstd");
  } finally {
    await transport.close();
    await server.close();
  }
});

test.run();
