// Our client against a hand-written HTTP/1.1 peer that answers with whatever
// bytes a test wants: unknown encodings, compressed flags without an encoding,
// corrupt and bomb responses.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import zlib from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connect-ts/protocol";
import { EchoResponseSchema, EchoService } from "@connect-ts/test-support/echo";
import { createHttp1Transport } from "@connect-ts/transport-http1";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { gzip, zstd } from "../src/node/index.js";
import { gzipBomb, MiB, peakGrowth } from "./helpers/bombs.js";

type Answer = (req: IncomingMessage, res: ServerResponse) => void;
let answer: Answer = (_req, res) => res.end();
const server = createServer((req, res) => {
  req.resume();
  req.on("end", () => answer(req, res));
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const transport = createHttp1Transport({ baseUrl });
const client = createClient(EchoService, transport, { compression: { accept: [gzip, zstd] } });

const reply = toBinary(EchoResponseSchema, create(EchoResponseSchema, { text: "fine" }));

function envelope(flags: number, payload: Uint8Array): Buffer {
  const head = Buffer.alloc(5);
  head[0] = flags;
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}
const endOk = envelope(2, Buffer.from("{}"));

async function codeOf(promise: Promise<unknown>): Promise<Code | undefined> {
  try {
    await promise;
    return undefined;
  } catch (e) {
    assert.instance(e, ConnectError);
    return (e as ConnectError).code;
  }
}

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream) {
    // discard
  }
}

test("unary: a response in an encoding the client did not accept is internal", async () => {
  answer = (_req, res) => {
    res.writeHead(200, { "content-type": "application/proto", "content-encoding": "snappy" });
    res.end(reply);
  };
  assert.is(await codeOf(client.echo({})), Code.Internal);
});

test("unary: the client announces what it accepts, and reads gzip", async () => {
  let accept: string | undefined;
  answer = (req, res) => {
    accept = req.headers["accept-encoding"];
    res.writeHead(200, { "content-type": "application/proto", "content-encoding": "gzip" });
    res.end(zlib.gzipSync(reply));
  };
  assert.is((await client.echo({})).text, "fine");
  assert.equal(String(accept).split(/,\s*/), ["gzip", "zstd"]);
});

test("unary: a corrupt compressed response is internal", async () => {
  answer = (_req, res) => {
    res.writeHead(200, { "content-type": "application/proto", "content-encoding": "gzip" });
    res.end(Buffer.from("not gzip at all"));
  };
  assert.is(await codeOf(client.echo({})), Code.Internal);
});

test("unary: a gzip bomb response is resource_exhausted, memory flat", async () => {
  const bomb = gzipBomb(1024);
  answer = (_req, res) => {
    res.writeHead(200, { "content-type": "application/proto", "content-encoding": "gzip" });
    res.end(bomb);
  };
  let code: Code | undefined;
  const grew = await peakGrowth(async () => {
    code = await codeOf(client.echo({}));
  });
  assert.is(code, Code.ResourceExhausted);
  assert.ok(grew < 96 * MiB, `grew by ${(grew / MiB).toFixed(1)} MiB`);
});

test("unary: a compressed error body is read", async () => {
  answer = (_req, res) => {
    res.writeHead(503, { "content-type": "application/json", "content-encoding": "gzip" });
    res.end(zlib.gzipSync(JSON.stringify({ code: "unavailable", message: "come back later" })));
  };
  const err = await client.echo({}).catch((e) => e);
  assert.is((err as ConnectError).code, Code.Unavailable);
  assert.is((err as ConnectError).rawMessage, "come back later");
});

test("stream: the client announces Connect-Accept-Encoding and reads compressed messages and end", async () => {
  let accept: string | undefined;
  answer = (req, res) => {
    accept = req.headers["connect-accept-encoding"] as string;
    res.writeHead(200, {
      "content-type": "application/connect+proto",
      "connect-content-encoding": "gzip",
    });
    const end = zlib.gzipSync(JSON.stringify({ metadata: { "x-t": ["1"] } }));
    res.end(
      Buffer.concat([envelope(1, zlib.gzipSync(reply)), envelope(0, reply), envelope(3, end)]),
    );
  };
  const got: string[] = [];
  for await (const r of client.echoServer({})) got.push(r.text);
  assert.equal(got, ["fine", "fine"]);
  assert.equal(String(accept).split(/,\s*/), ["gzip", "zstd"]);
});

test("stream: a compressed flag without an encoding is internal", async () => {
  answer = (_req, res) => {
    res.writeHead(200, { "content-type": "application/connect+proto" });
    res.end(Buffer.concat([envelope(1, zlib.gzipSync(reply)), endOk]));
  };
  assert.is(await codeOf(drain(client.echoServer({}))), Code.Internal);
});

test("stream: an encoding the client did not accept is internal", async () => {
  answer = (_req, res) => {
    res.writeHead(200, {
      "content-type": "application/connect+proto",
      "connect-content-encoding": "snappy",
    });
    res.end(Buffer.concat([envelope(1, reply), endOk]));
  };
  assert.is(await codeOf(drain(client.echoServer({}))), Code.Internal);
});

test("stream: a compressed end-of-stream error is read", async () => {
  answer = (_req, res) => {
    res.writeHead(200, {
      "content-type": "application/connect+proto",
      "connect-content-encoding": "zstd",
    });
    const end = JSON.stringify({ error: { code: "data_loss", message: "gone" } });
    res.end(envelope(3, zstdFrame(Buffer.from(end))));
  };
  const err = await drain(client.echoServer({})).catch((e) => e);
  assert.is((err as ConnectError).code, Code.DataLoss);
  assert.is((err as ConnectError).rawMessage, "gone");
});

/** A zstd frame holding `data` (under 256 bytes) in one raw block: valid zstd without an encoder. */
function zstdFrame(data: Buffer): Uint8Array {
  const header = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x20, data.length]);
  const block = Buffer.alloc(3);
  const value = (data.length << 3) | 1;
  block[0] = value & 255;
  block[1] = (value >> 8) & 255;
  block[2] = (value >> 16) & 255;
  return Buffer.concat([header, block, data]);
}

test.after(async () => {
  await transport.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

test.run();
