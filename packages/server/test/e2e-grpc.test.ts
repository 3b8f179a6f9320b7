import { Code, ConnectError, createClient, type Protocol, RpcClient } from "@connect-ts/protocol";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { type Mode, startServer } from "./helpers/servers.js";
import { TestService, testService } from "./helpers/test-service.js";
import { transportFor } from "./helpers/transports.js";

// gRPC and gRPC-Web through the adapter: gRPC needs HTTP trailers (HTTP/2
// trailers, or chunked trailers over HTTP/1.1, which this server sends and
// our HTTP/1.1 client reads), gRPC-Web carries them in the body.

const cases: [Protocol, Mode][] = [
  ["grpc", "h1"],
  ["grpc", "h2c"],
  ["grpc", "h2-tls"],
  ["grpc-web", "h1"],
  ["grpc-web", "h2c"],
  ["grpc-web", "h2-tls"],
];

for (const [protocol, mode] of cases) {
  for (const codec of ["proto", "json"] as const) {
    test(`${protocol} over ${mode}, ${codec}: all call kinds, metadata and errors`, async () => {
      const server = await startServer([testService()], mode);
      const transport = transportFor(mode, server.url);
      try {
        const rpc = new RpcClient(transport, { protocol, codec });
        const out = await rpc.callUnary(
          TestService.method.echo,
          { text: "g" },
          { headers: { "x-echo": "meta" }, timeoutMs: 4000 },
        );
        assert.is(out.error, undefined);
        assert.is(out.message?.text, "g");
        assert.ok((out.message?.timeRemainingMs ?? -1n) > 0n, "grpc-timeout reached the handler");
        assert.is(out.headers.get("x-echo"), "meta");
        assert.is(out.trailers.get("x-echo-trailer"), "meta");

        const client = createClient(TestService, transport, { protocol, codec });
        const numbers: number[] = [];
        for await (const m of client.count({ count: 3 })) numbers.push(m.number);
        assert.equal(numbers, [1, 2, 3]);
        assert.is((await client.sum([{ number: 2n }, { number: 3n }])).sum, 5n);
        const answers: string[] = [];
        for await (const r of client.chat([{ text: "x" }, { text: "y" }])) answers.push(r.text);
        assert.equal(answers, ["re: x", "re: y"]);

        const err = await client
          .echo({ text: "bad", failCode: Code.InvalidArgument })
          .catch((e) => e);
        assert.instance(err, ConnectError);
        assert.is((err as ConnectError).code, Code.InvalidArgument);
        assert.is((err as ConnectError).rawMessage, "failed as asked: bad");
      } finally {
        await transport.close();
        await server.close();
      }
    });
  }
}

test("grpc over h2c: shutdown refuses new calls with unavailable in trailers", async () => {
  const server = await startServer([testService()], "h2c");
  const transport = transportFor("h2c", server.url);
  try {
    const client = createClient(TestService, transport, { protocol: "grpc" });
    assert.is((await client.echo({ text: "before" })).text, "before");
    const shutdown = server.handler.shutdown({ graceMs: 1000 });
    const err = await client.echo({ text: "during" }).catch((e) => e);
    assert.is((err as ConnectError).code, Code.Unavailable);
    await shutdown;
  } finally {
    await transport.close();
    await server.close();
  }
});

test.run();
