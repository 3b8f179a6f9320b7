import { once } from "node:events";
import * as http from "node:http";
import * as http2 from "node:http2";
import type { AddressInfo, Socket } from "node:net";
import {
  type Code as EsCode,
  ConnectError as EsConnectError,
  type ConnectRouter,
} from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { Code, ConnectError, createClient, RpcClient } from "@connect-ts/protocol";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Mode } from "./helpers/servers.js";
import { TestService } from "./helpers/test-service.js";
import { clientModes, transportFor } from "./helpers/transports.js";

// Our clients against a connect-es server (connectNodeAdapter on node:http
// and node:http2), with the same generated descriptors on both ends.

function routes(router: ConnectRouter): void {
  router.service(TestService, {
    async echo(req, ctx) {
      const echo = ctx.requestHeader.get("x-echo");
      if (echo !== null) {
        ctx.responseHeader.set("x-echo", echo);
        ctx.responseTrailer.set("x-echo-trailer", echo);
      }
      if (req.failCode !== 0)
        throw new EsConnectError(`es failed: ${req.text}`, req.failCode as EsCode);
      return {
        text: req.text,
        payload: req.payload,
        timeRemainingMs: BigInt(ctx.timeoutMs() ?? -1),
      };
    },
    async echoGet(req) {
      return { text: req.text };
    },
    async *count(req) {
      for (let i = 1; i <= req.count; i++) yield { number: i };
      if (req.failCode !== 0) throw new EsConnectError("es stream failed", req.failCode as EsCode);
    },
    async sum(requests) {
      let sum = 0n;
      let messages = 0;
      for await (const r of requests) {
        sum += r.number;
        messages++;
      }
      return { sum, messages };
    },
    async *chat(requests) {
      for await (const r of requests) yield { text: `es: ${r.text}` };
    },
  });
}

async function startEsServer(mode: "h1" | "h2c") {
  const handler = connectNodeAdapter({ routes });
  const server = mode === "h1" ? http.createServer(handler) : http2.createServer(handler);
  const sockets = new Set<Socket>();
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.close();
      for (const s of sockets) s.destroy();
      await once(server, "close");
    },
  };
}

for (const mode of (["h1", "h2c"] as Mode[]).filter((m) => clientModes.includes(m))) {
  for (const codec of ["proto", "json"] as const) {
    test(`our ${mode} client, ${codec}, against connect-es: the four call kinds and errors`, async () => {
      const server = await startEsServer(mode as "h1" | "h2c");
      const transport = transportFor(mode, server.url);
      try {
        const rpc = new RpcClient(transport, { codec });
        const out = await rpc.callUnary(
          TestService.method.echo,
          { text: "to es", payload: new Uint8Array([9]) },
          { headers: { "x-echo": "x" }, timeoutMs: 3000 },
        );
        assert.is(out.error, undefined);
        assert.is(out.message?.text, "to es");
        assert.equal([...(out.message?.payload ?? [])], [9]);
        const remaining = out.message?.timeRemainingMs ?? -1n;
        assert.ok(remaining > 0n && remaining <= 3000n, "connect-es saw our timeout");
        assert.is(out.headers.get("x-echo"), "x");
        assert.is(out.trailers.get("x-echo-trailer"), "x");

        const client = createClient(TestService, transport, { codec });
        const numbers: number[] = [];
        for await (const m of client.count({ count: 3 })) numbers.push(m.number);
        assert.equal(numbers, [1, 2, 3]);

        const sum = await client.sum([{ number: 4n }, { number: 5n }]);
        assert.is(sum.sum, 9n);

        if (mode === "h2c") {
          const answers: string[] = [];
          for await (const r of client.chat([{ text: "a" }, { text: "b" }])) answers.push(r.text);
          assert.equal(answers, ["es: a", "es: b"]);
        } else {
          // connect-es serves bidi over HTTP/2 only and answers 505 over
          // HTTP/1.1; our client must surface that as an error, not hang.
          const refused = await (async () => {
            try {
              for await (const _ of client.chat([{ text: "a" }])) {
                // No answers expected.
              }
            } catch (e) {
              return e;
            }
            return undefined;
          })();
          assert.instance(refused, ConnectError);
        }

        const err = await client.echo({ text: "e", failCode: Code.AlreadyExists }).catch((e) => e);
        assert.instance(err, ConnectError);
        assert.is((err as ConnectError).code, Code.AlreadyExists);
        assert.is((err as ConnectError).rawMessage, "es failed: e");

        const streamed: number[] = [];
        const streamErr = await (async () => {
          try {
            for await (const m of client.count({ count: 2, failCode: Code.OutOfRange }))
              streamed.push(m.number);
          } catch (e) {
            return e;
          }
          return undefined;
        })();
        assert.equal(streamed, [1, 2]);
        assert.is((streamErr as ConnectError).code, Code.OutOfRange);
      } finally {
        await transport.close();
        await server.close();
      }
    });
  }
}

test("our h2c client against connect-es: full-duplex bidi", async () => {
  const server = await startEsServer("h2c");
  const transport = transportFor("h2c", server.url);
  try {
    const client = createClient(TestService, transport);
    const answers: string[] = [];
    let answered: (() => void) | undefined;
    const requests = (async function* () {
      for (let i = 0; i < 3; i++) {
        yield { text: `p${i}` };
        if (answers.length <= i) await new Promise<void>((r) => (answered = r));
      }
    })();
    for await (const r of client.chat(requests)) {
      answers.push(r.text);
      answered?.();
    }
    assert.equal(answers, ["es: p0", "es: p1", "es: p2"]);
  } finally {
    await transport.close();
    await server.close();
  }
});

test.run();
