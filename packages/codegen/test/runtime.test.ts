import { Code, ConnectError, type Transport } from "@connect-ts/protocol";
import { type ConnectServer, listen } from "@connect-ts/server";
import { createHttp2Transport } from "@connect-ts/transport-http2";
import { test } from "uvu";
import * as assert from "uvu/assert";
// The server runs the JavaScript output, the client the TypeScript output.
import { clashService, delete$ } from "./golden/js-dts/example/v1/clash_connect.js";
import { kindsService } from "./golden/js-dts/example/v1/kinds_connect.js";
import { ClashServiceClient, DeleteClient } from "./golden/ts/example/v1/clash_connect.js";
import {
  KindsServiceClient,
  type KindsServiceImplementation,
} from "./golden/ts/example/v1/kinds_connect.js";
import type { PingRequest } from "./golden/ts/example/v1/kinds_pb.js";

/** An implementation as a class, so the test also proves methods keep their `this`. */
class Kinds implements Partial<KindsServiceImplementation> {
  readonly prefix = "pong";
  ping(request: PingRequest) {
    return { text: `${this.prefix}: ${request.text}` };
  }
  async *count(request: PingRequest) {
    for (let i = 1; i <= request.count; i++) {
      yield { text: `${this.prefix} ${i}` };
    }
  }
  async collect(requests: AsyncIterable<PingRequest>) {
    const texts: string[] = [];
    for await (const r of requests) {
      texts.push(r.text);
    }
    return { text: texts.join("+") };
  }
  old(): never {
    throw new Error("not a ConnectError");
  }
  async *chat(requests: AsyncIterable<PingRequest>) {
    for await (const r of requests) {
      if (r.text === "fail") {
        throw new ConnectError("asked to fail", Code.FailedPrecondition);
      }
      yield { text: r.text.toUpperCase() };
    }
  }
}

let server: ConnectServer;
let transport: Transport;

test.before(async () => {
  server = await listen(
    [
      kindsService(new Kinds()),
      clashService({
        constructor$: () => ({}),
        delete: () => ({}),
        // biome-ignore lint/suspicious/noThenProperty: the RPC is called Then, and the runtime looks its implementation up under that name.
        then: () => ({}),
        callSay: () => ({}),
      }),
      delete$({ delete: (r) => r }),
    ],
    { httpVersion: "2", host: "127.0.0.1" },
  );
  transport = createHttp2Transport({ baseUrl: server.url });
});

test.after(async () => {
  await transport.close();
  await server.close({ graceMs: 100 });
});

test("generated clients make all four kinds of call against generated services", async () => {
  const client = new KindsServiceClient(transport);
  assert.is((await client.ping({ text: "a" })).text, "pong: a");
  const counted: string[] = [];
  for await (const r of client.count({ count: 3 })) {
    counted.push(r.text);
  }
  assert.equal(counted, ["pong 1", "pong 2", "pong 3"]);
  assert.is((await client.collect([{ text: "x" }, { text: "y" }])).text, "x+y");
  const chatted: string[] = [];
  for await (const r of client.chat([{ text: "hi" }, { text: "there" }])) {
    chatted.push(r.text);
  }
  assert.equal(chatted, ["HI", "THERE"]);
});

test("call* methods return errors, headers and trailers instead of throwing", async () => {
  const client = new KindsServiceClient(transport);
  const missing = await client.callPut({});
  assert.is(missing.error?.code, Code.Unimplemented);
  assert.is(missing.message, undefined);
  // As the generated TSDoc says: an error that is not a ConnectError is `unknown`.
  const old = await client.callOld({});
  assert.is(old.error?.code, Code.Unknown);
  const chat = client.callChat([{ text: "ok" }, { text: "fail" }]);
  const got: string[] = [];
  for await (const r of chat) {
    got.push(r.text);
  }
  assert.equal(got, ["OK"]);
  assert.is(chat.error?.code, Code.FailedPrecondition);
  assert.is(chat.error?.rawMessage, "asked to fail");
});

test("RPCs with clashing names reach the right methods", async () => {
  const client = new ClashServiceClient(transport);
  assert.ok(await client.constructor$({}));
  assert.ok(await client.delete({}));
  assert.ok(await client.then$({}));
  assert.ok(await client.callSay({}));
  // Not implemented, so unimplemented: the name reached the server intact.
  const say = await client.callSay$({});
  assert.is(say.error?.code, Code.Unimplemented);
  const stringified = await client.callToString({});
  assert.is(stringified.error?.code, Code.Unimplemented);
  // The client is not a thenable.
  assert.is(await Promise.resolve(client), client);
  assert.ok(await new DeleteClient(transport).delete({}));
});

test.run();
