import { toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connect-ts/protocol";
import { EchoRequestSchema, EchoResponseSchema } from "@connect-ts/test-support/echo";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { formatLogEntry, type LogEntry, logging } from "../src/index.js";
import { echoSetup } from "./support/echo.js";

function recorder() {
  const entries: LogEntry[] = [];
  return { entries, interceptor: logging({ log: (e) => entries.push(e) }) };
}

test("client unary: procedure, code, counts, sizes and duration", async () => {
  const { entries, interceptor } = recorder();
  const { client } = echoSetup({ interceptors: [interceptor] });
  await client.echo({ text: "hello", payload: new Uint8Array(100) });
  assert.is(entries.length, 1);
  const e = entries[0]!;
  assert.is(e.side, "client");
  assert.is(e.procedure, "/echo.v1.EchoService/Echo");
  assert.is(e.code, "ok");
  assert.is(e.error, undefined);
  assert.is(e.requestMessages, 1);
  assert.is(e.responseMessages, 1);
  const size = toBinary(EchoRequestSchema, {
    $typeName: "echo.v1.EchoRequest",
    text: "hello",
    payload: new Uint8Array(100),
    count: 0,
    failWith: "",
  }).byteLength;
  assert.is(e.requestBytes, size);
  assert.is(
    e.responseBytes,
    toBinary(EchoResponseSchema, {
      $typeName: "echo.v1.EchoResponse",
      text: "hello",
      payload: new Uint8Array(100),
      index: 0,
    }).byteLength,
  );
  assert.ok(e.durationMs >= 0 && e.durationMs < 5000);
});

test("client unary error: the code's wire name and the error", async () => {
  const { entries, interceptor } = recorder();
  const { client } = echoSetup({ interceptors: [interceptor] });
  await client.echo({ failWith: "not_found" }).catch(() => {});
  assert.is(entries.length, 1);
  assert.is(entries[0]!.code, "not_found");
  assert.instance(entries[0]!.error, ConnectError);
  assert.is(entries[0]!.responseMessages, 0);
});

test("server stream: logged when the stream ends, with every message counted", async () => {
  const { entries, interceptor } = recorder();
  const { client } = echoSetup({ interceptors: [interceptor] });
  const stream = client.echoServer({ text: "abc", count: 4 });
  let n = 0;
  for await (const _ of stream) {
    n++;
    assert.is(entries.length, 0, "not logged before the end");
  }
  assert.is(n, 4);
  assert.is(entries.length, 1);
  assert.is(entries[0]!.responseMessages, 4);
  assert.is(entries[0]!.code, "ok");
  assert.ok(entries[0]!.responseBytes! > 4 * 3);
});

test("client stream and bidi: request messages counted", async () => {
  const { entries, interceptor } = recorder();
  const { client } = echoSetup({ interceptors: [interceptor] });
  const res = await client.echoClient([{ text: "a" }, { text: "b" }, { text: "c" }]);
  assert.is(res.text, "a,b,c");
  const got: string[] = [];
  for await (const r of client.echoBidi([{ text: "x" }, { text: "y" }])) got.push(r.text);
  assert.equal(got, ["x", "y"]);
  assert.is(entries.length, 2);
  assert.equal(
    entries.map((e) => [e.procedure, e.requestMessages, e.responseMessages]),
    [
      ["/echo.v1.EchoService/EchoClient", 3, 1],
      ["/echo.v1.EchoService/EchoBidi", 2, 2],
    ],
  );
});

test("a stream the consumer leaves early is logged as canceled", async () => {
  const { entries, interceptor } = recorder();
  const { client } = echoSetup({ interceptors: [interceptor] });
  for await (const _ of client.echoServer({ text: "t", count: 10 })) break;
  assert.is(entries.length, 1);
  assert.is(entries[0]!.code, "canceled");
  assert.is(entries[0]!.responseMessages, 1);
});

test("server side: one entry per call with side server", async () => {
  const { entries, interceptor } = recorder();
  const { client } = echoSetup({}, { interceptors: [interceptor] });
  await client.echo({ text: "s" });
  await client.echo({ failWith: "permission_denied" }).catch(() => {});
  for await (const _ of client.echoServer({ text: "s", count: 2 })) {
    // drain
  }
  assert.equal(
    entries.map((e) => [e.side, e.procedure, e.code, e.responseMessages]),
    [
      ["server", "/echo.v1.EchoService/Echo", "ok", 1],
      ["server", "/echo.v1.EchoService/Echo", "permission_denied", 0],
      ["server", "/echo.v1.EchoService/EchoServer", "ok", 2],
    ],
  );
});

test("a logger that throws does not fail the call", async () => {
  const { client } = echoSetup({
    interceptors: [
      logging({
        log: () => {
          throw new Error("disk full");
        },
      }),
    ],
  });
  assert.is((await client.echo({ text: "fine" })).text, "fine");
});

test("sizes: false leaves the byte counts out", async () => {
  const entries: LogEntry[] = [];
  const { client } = echoSetup({
    interceptors: [logging({ log: (e) => entries.push(e), sizes: false })],
  });
  await client.echo({ text: "x" });
  assert.is(entries[0]!.requestBytes, undefined);
  assert.is(entries[0]!.responseBytes, undefined);
  assert.is(entries[0]!.requestMessages, 1);
});

test("the default logger writes one formatted line with console.info", async () => {
  const lines: unknown[] = [];
  const original = console.info;
  console.info = (...args: unknown[]) => lines.push(...args);
  try {
    const { client } = echoSetup({ interceptors: [logging()] });
    await client.echo({ text: "x" });
  } finally {
    console.info = original;
  }
  assert.is(lines.length, 1);
  assert.match(
    String(lines[0]),
    /^client \/echo\.v1\.EchoService\/Echo ok \d+\.\dms req=1 \(\d+ B\) res=1 \(\d+ B\)$/,
  );
});

test("formatLogEntry includes the error message", () => {
  const line = formatLogEntry({
    side: "server",
    procedure: "/a.B/C",
    method: undefined as never,
    code: "unavailable",
    error: new ConnectError("try later", Code.Unavailable),
    durationMs: 12.34,
    requestMessages: 1,
    responseMessages: 0,
    requestBytes: undefined,
    responseBytes: undefined,
  });
  assert.is(line, 'server /a.B/C unavailable 12.3ms req=1 res=0 "try later"');
});

test.run();
