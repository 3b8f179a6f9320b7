import { Code, ConnectError, createClient, RpcClient } from "@connect-ts/protocol";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { within } from "./helpers/gate.js";
import { startServer } from "./helpers/servers.js";
import { TestService, testService } from "./helpers/test-service.js";
import { clientModes, transportFor } from "./helpers/transports.js";

// Our clients against our server: the four call kinds over HTTP/1.1, HTTPS,
// h2c and HTTP/2 over TLS, with binary and JSON messages.

for (const mode of clientModes) {
  for (const codec of ["proto", "json"] as const) {
    const label = `${mode}, ${codec}`;

    test(`${label}: unary with headers, trailers and the deadline`, async () => {
      const server = await startServer([testService()], mode);
      const transport = transportFor(mode, server.url);
      try {
        const rpc = new RpcClient(transport, { codec });
        const out = await rpc.callUnary(
          TestService.method.echo,
          { text: "hello", payload: new Uint8Array([1, 2, 3]) },
          { headers: { "x-echo": "e2e" }, timeoutMs: 4000 },
        );
        assert.is(out.error, undefined);
        assert.is(out.message?.text, "hello");
        assert.equal([...(out.message?.payload ?? [])], [1, 2, 3]);
        const remaining = out.message?.timeRemainingMs ?? -1n;
        assert.ok(remaining > 0n && remaining <= 4000n, `time remaining ${remaining}`);
        assert.is(out.headers.get("x-echo"), "e2e");
        assert.is(out.trailers.get("x-echo-trailer"), "e2e");
        const failed = await rpc.callUnary(TestService.method.echo, {
          text: "f",
          failCode: Code.NotFound,
        });
        assert.is(failed.error?.code, Code.NotFound);
        assert.is(failed.error?.rawMessage, "failed as asked: f");
        assert.is(failed.error?.metadata.get("x-failed"), "yes");
      } finally {
        await transport.close();
        await server.close();
      }
    });

    test(`${label}: server stream, client stream, and a stream that ends in an error`, async () => {
      const server = await startServer([testService()], mode);
      const transport = transportFor(mode, server.url);
      try {
        const client = createClient(TestService, transport, { codec });
        const numbers: number[] = [];
        for await (const m of client.count({ count: 5 })) numbers.push(m.number);
        assert.equal(numbers, [1, 2, 3, 4, 5]);

        const sum = await client.sum(
          (async function* () {
            for (let i = 1; i <= 20; i++) yield { number: BigInt(i) };
          })(),
        );
        assert.is(sum.sum, 210n);
        assert.is(sum.messages, 20);

        const got: number[] = [];
        const err = await (async () => {
          try {
            for await (const m of client.count({ count: 3, failCode: Code.ResourceExhausted })) {
              got.push(m.number);
            }
          } catch (e) {
            return e;
          }
          return undefined;
        })();
        assert.equal(got, [1, 2, 3]);
        assert.instance(err, ConnectError);
        assert.is((err as ConnectError).code, Code.ResourceExhausted);
      } finally {
        await transport.close();
        await server.close();
      }
    });

    if (mode.startsWith("h2")) {
      test(`${label}: full-duplex bidi, each answer before the next request is sent`, async () => {
        const server = await startServer([testService()], mode);
        const transport = transportFor(mode, server.url);
        try {
          const client = createClient(TestService, transport, { codec });
          const answers: string[] = [];
          let answered: (() => void) | undefined;
          const requests = (async function* () {
            for (let i = 0; i < 4; i++) {
              yield { text: `ping ${i}` };
              // Only go on once the server has answered this one: proves full duplex.
              if (answers.length <= i) {
                await within(
                  2000,
                  new Promise<void>((r) => {
                    answered = r;
                  }),
                  `answer to ping ${i}`,
                );
              }
            }
          })();
          for await (const res of client.chat(requests)) {
            answers.push(res.text);
            answered?.();
          }
          assert.equal(answers, ["re: ping 0", "re: ping 1", "re: ping 2", "re: ping 3"]);
        } finally {
          await transport.close();
          await server.close();
        }
      });
    } else {
      test(`${label}: half-duplex bidi, all requests then all answers`, async () => {
        const server = await startServer([testService()], mode);
        const transport = transportFor(mode, server.url);
        try {
          const client = createClient(TestService, transport, { codec });
          const answers: string[] = [];
          for await (const res of client.chat([{ text: "a" }, { text: "b" }, { text: "c" }])) {
            answers.push(res.text);
          }
          assert.equal(answers, ["re: a", "re: b", "re: c"]);
        } finally {
          await transport.close();
          await server.close();
        }
      });
    }
  }
}

test.run();
