import { Code, ConnectError } from "@connect-ts/protocol";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { bearerAuth, headers, retry } from "../src/index.js";
import { echoSetup } from "./support/echo.js";

async function codeOf(promise: Promise<unknown>): Promise<Code | undefined> {
  try {
    await promise;
    return undefined;
  } catch (e) {
    assert.instance(e, ConnectError);
    return (e as ConnectError).code;
  }
}

test("bearerAuth: a fixed token", async () => {
  const { client, seen } = echoSetup({ interceptors: [bearerAuth("abc")] });
  await client.echo({});
  assert.is(seen.headers[0]!.authorization, "Bearer abc");
});

test("bearerAuth: an async source is asked once per call", async () => {
  let n = 0;
  const { client, seen } = echoSetup({
    interceptors: [bearerAuth(async () => `t${++n}`)],
  });
  await client.echo({});
  await client.echo({});
  assert.equal(
    seen.headers.map((h) => h.authorization),
    ["Bearer t1", "Bearer t2"],
  );
});

test("bearerAuth: a failing source fails the call with unauthenticated before sending", async () => {
  const { client, seen } = echoSetup({
    interceptors: [
      bearerAuth(() => {
        throw new Error("vault sealed");
      }),
    ],
  });
  assert.is(await codeOf(client.echo({})), Code.Unauthenticated);
  assert.is(seen.calls, 0);
  const empty = echoSetup({ interceptors: [bearerAuth(async () => "")] });
  assert.is(await codeOf(empty.client.echo({})), Code.Unauthenticated);
  assert.is(empty.seen.calls, 0);
});

test("bearerAuth: a header set on the call wins", async () => {
  const { client, seen } = echoSetup({ interceptors: [bearerAuth("abc")] });
  await client.echo({}, { headers: { authorization: "Basic eDp5" } });
  assert.is(seen.headers[0]!.authorization, "Basic eDp5");
});

test("bearerAuth: streams carry the header too", async () => {
  const { client, seen } = echoSetup({ interceptors: [bearerAuth("s")] });
  for await (const _ of client.echoServer({ count: 1 })) {
    // drain
  }
  await client.echoClient([{ text: "a" }]);
  assert.equal(
    seen.headers.map((h) => h.authorization),
    ["Bearer s", "Bearer s"],
  );
});

test("bearerAuth: inside retry, every attempt carries exactly one header", async () => {
  const { client, seen } = echoSetup(
    { interceptors: [retry({ initialBackoffMs: 1 }), bearerAuth("r")] },
    { failFirst: 2 },
  );
  await client.echo({});
  assert.equal(
    seen.headers.map((h) => h.authorization),
    ["Bearer r", "Bearer r", "Bearer r"],
  );
});

test("bearerAuth: a wrong argument is refused at once", () => {
  assert.throws(() => bearerAuth(42 as unknown as string), TypeError);
});

test("headers: fixed headers on every request, after the call's own", async () => {
  const init = { "x-tenant": "acme", "x-multi": ["1", "2"] };
  const { client, seen } = echoSetup({ interceptors: [headers(init)] });
  init["x-tenant"] = "changed later";
  await client.echo({}, { headers: { "x-multi": "0" } });
  assert.is(seen.headers[0]!["x-tenant"], "acme");
  assert.equal(seen.headers[0]!["x-multi"], ["0", "1", "2"]);
});

test("client interceptors do nothing on a server", async () => {
  const { client, seen } = echoSetup(
    {},
    { interceptors: [headers({ "x-server": "1" }), bearerAuth("no")] },
  );
  await client.echo({});
  assert.is(seen.headers[0]!["x-server"], undefined);
  assert.is(seen.headers[0]!.authorization, undefined);
});

test.run();
