import * as http from "node:http";
import * as https from "node:https";
import { Code as EsCode, ConnectError as EsConnectError, createClient } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
  Http2SessionManager,
} from "@connectrpc/connect-node";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { type Mode, startServer } from "./helpers/servers.js";
import { TestService, testService } from "./helpers/test-service.js";
import { tlsMaterial } from "./helpers/tls.js";

// connect-es (@connectrpc/connect-node) clients against our server: the
// Connect protocol over HTTP/1.1 and HTTP/2 (h2c and TLS), binary and JSON.

interface Peer {
  client: ReturnType<typeof createClient<typeof TestService>>;
  release(): void;
}

function connectEsClient(baseUrl: string, mode: Mode, binary: boolean, useHttpGet = false): Peer {
  const tls = mode.endsWith("tls") ? { ca: tlsMaterial().ca } : {};
  if (mode.startsWith("h2")) {
    const sessionManager = new Http2SessionManager(baseUrl, {}, tls);
    const transport = createConnectTransport({
      baseUrl,
      httpVersion: "2",
      useBinaryFormat: binary,
      useHttpGet,
      sessionManager,
    });
    return { client: createClient(TestService, transport), release: () => sessionManager.abort() };
  }
  const agent =
    mode === "h1-tls"
      ? new https.Agent({ keepAlive: true, ...tls })
      : new http.Agent({ keepAlive: true });
  const transport = createConnectTransport({
    baseUrl,
    httpVersion: "1.1",
    useBinaryFormat: binary,
    useHttpGet,
    nodeOptions: { agent },
  });
  return { client: createClient(TestService, transport), release: () => agent.destroy() };
}

for (const mode of ["h1", "h1-tls", "h2c", "h2-tls"] as Mode[]) {
  for (const binary of [true, false]) {
    const label = `connect-es client, ${mode}, ${binary ? "proto" : "json"}`;

    test(`${label}: unary, server stream, client stream and errors`, async () => {
      const server = await startServer([testService()], mode);
      const peer = connectEsClient(server.url, mode, binary);
      try {
        let headers: Headers | undefined;
        let trailers: Headers | undefined;
        const res = await peer.client.echo(
          { text: "hi", payload: new Uint8Array([7, 8]) },
          {
            headers: { "x-echo": "round-trip" },
            timeoutMs: 5000,
            onHeader: (h) => {
              headers = h;
            },
            onTrailer: (t) => {
              trailers = t;
            },
          },
        );
        assert.is(res.text, "hi");
        assert.equal([...res.payload], [7, 8]);
        assert.ok(
          res.timeRemainingMs > 0n && res.timeRemainingMs <= 5000n,
          "deadline reached the handler",
        );
        assert.is(headers?.get("x-echo"), "round-trip");
        assert.is(trailers?.get("x-echo-trailer"), "round-trip");

        const numbers: number[] = [];
        for await (const m of peer.client.count({ count: 4 })) numbers.push(m.number);
        assert.equal(numbers, [1, 2, 3, 4]);

        const sum = await peer.client.sum(
          (async function* () {
            for (let i = 1n; i <= 10n; i++) yield { number: i };
          })(),
        );
        assert.is(sum.sum, 55n);
        assert.is(sum.messages, 10);

        const err = await peer.client.echo({ text: "x", failCode: EsCode.NotFound }).then(
          () => undefined,
          (e: unknown) => e,
        );
        assert.instance(err, EsConnectError);
        assert.is((err as EsConnectError).code, EsCode.NotFound);
        assert.is((err as EsConnectError).rawMessage, "failed as asked: x");
        assert.is((err as EsConnectError).metadata.get("x-failed"), "yes");

        const streamErr = await (async () => {
          const got: number[] = [];
          try {
            for await (const m of peer.client.count({ count: 2, failCode: EsCode.DataLoss }))
              got.push(m.number);
          } catch (e) {
            return { got, e };
          }
          return { got, e: undefined };
        })();
        assert.equal(streamErr.got, [1, 2]);
        assert.is((streamErr.e as EsConnectError).code, EsCode.DataLoss);
      } finally {
        peer.release();
        await server.close();
      }
    });

    test(`${label}: GET for a method without side effects`, async () => {
      const server = await startServer([testService()], mode);
      const peer = connectEsClient(server.url, mode, binary, true);
      try {
        const res = await peer.client.echoGet({ text: "via get" });
        assert.is(res.text, "via get");
      } finally {
        peer.release();
        await server.close();
      }
    });

    if (mode.startsWith("h2")) {
      test(`${label}: bidi, full duplex`, async () => {
        const server = await startServer([testService()], mode);
        const peer = connectEsClient(server.url, mode, binary);
        try {
          const queue: string[] = [];
          let wake: (() => void) | undefined;
          const requests = (async function* () {
            for (let i = 0; i < 3; i++) {
              yield { text: `m${i}` };
              // The next request goes only after the answer to this one came back.
              while (queue.length <= i) await new Promise<void>((r) => (wake = r));
            }
          })();
          for await (const res of peer.client.chat(requests)) {
            queue.push(res.text);
            wake?.();
          }
          assert.equal(queue, ["re: m0", "re: m1", "re: m2"]);
        } finally {
          peer.release();
          await server.close();
        }
      });
    }
  }
}

// The same clients speaking gRPC (HTTP/2 only in connect-es) and gRPC-Web.
const grpcCases: ["grpc" | "grpc-web", Mode][] = [
  ["grpc", "h2c"],
  ["grpc", "h2-tls"],
  ["grpc-web", "h1"],
  ["grpc-web", "h2c"],
];

for (const [protocol, mode] of grpcCases) {
  test(`connect-es ${protocol} client, ${mode}: unary, streams, errors and trailers`, async () => {
    const server = await startServer([testService()], mode);
    const tls = mode.endsWith("tls") ? { ca: tlsMaterial().ca } : {};
    const http2 = mode.startsWith("h2");
    const sessionManager = http2 ? new Http2SessionManager(server.url, {}, tls) : undefined;
    const agent = http2 ? undefined : new http.Agent({ keepAlive: true });
    const baseUrl = server.url;
    const transport =
      sessionManager === undefined
        ? createGrpcWebTransport({ baseUrl, httpVersion: "1.1", nodeOptions: { agent } })
        : protocol === "grpc"
          ? createGrpcTransport({ baseUrl, sessionManager })
          : createGrpcWebTransport({ baseUrl, httpVersion: "2", sessionManager });
    try {
      const client = createClient(TestService, transport);
      let trailers: Headers | undefined;
      const res = await client.echo(
        { text: protocol },
        {
          headers: { "x-echo": "t" },
          timeoutMs: 5000,
          onTrailer: (t) => {
            trailers = t;
          },
        },
      );
      assert.is(res.text, protocol);
      assert.ok(res.timeRemainingMs > 0n, "grpc-timeout reached the handler");
      assert.is(trailers?.get("x-echo-trailer"), "t");
      const numbers: number[] = [];
      for await (const m of client.count({ count: 3 })) numbers.push(m.number);
      assert.equal(numbers, [1, 2, 3]);
      const sum = await client.sum(
        (async function* () {
          yield { number: 20n };
          yield { number: 22n };
        })(),
      );
      assert.is(sum.sum, 42n);
      const err = await client
        .echo({ text: "x", failCode: EsCode.FailedPrecondition })
        .catch((e) => e);
      assert.is((err as EsConnectError).code, EsCode.FailedPrecondition);
      assert.is((err as EsConnectError).rawMessage, "failed as asked: x");
    } finally {
      sessionManager?.abort();
      agent?.destroy();
      await server.close();
    }
  });
}

test.run();
