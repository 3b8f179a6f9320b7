// The server's side of negotiation, checked at the byte level with a plain
// HTTP/1.1 client: unknown encodings, compressed flags without an encoding,
// corrupt and bomb bodies, and compressed error bodies.
import { request } from "node:http";
import zlib from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import { EchoRequestSchema } from "@connect-ts/test-support/echo";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { brotli, deflate, gzip, zstd } from "../src/node/index.js";
import { gzipBomb, MiB, peakGrowth, zstdRleFrame } from "./helpers/bombs.js";
import { startEchoServer } from "./helpers/echo-server.js";

const { server } = await startEchoServer([gzip, brotli, zstd, deflate], { httpVersion: "1.1" });
const base = new URL(server.url);

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function post(
  path: string,
  headers: Record<string, string>,
  body: Uint8Array,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: base.hostname, port: base.port, path, method: "POST", headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const unaryPath = "/echo.v1.EchoService/Echo";
const clientStreamPath = "/echo.v1.EchoService/EchoClient";
const message = (init: Parameters<typeof create<typeof EchoRequestSchema>>[1]) =>
  toBinary(EchoRequestSchema, create(EchoRequestSchema, init));

function envelope(flags: number, payload: Uint8Array): Buffer {
  const head = Buffer.alloc(5);
  head[0] = flags;
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

/** Reads the end-of-stream envelope (flag 2) of a Connect streaming response. */
function endStream(body: Buffer): { error?: { code: string; message?: string } } {
  let pos = 0;
  while (pos + 5 <= body.length) {
    const flags = body[pos]!;
    const size = body.readUInt32BE(pos + 1);
    const payload = body.subarray(pos + 5, pos + 5 + size);
    if (flags & 2) return JSON.parse(payload.toString("utf8"));
    pos += 5 + size;
  }
  throw new Error("no end-of-stream message");
}

test("unary: an unknown Content-Encoding is unimplemented, with the accepted list", async () => {
  const res = await post(
    unaryPath,
    { "content-type": "application/proto", "content-encoding": "snappy" },
    message({ text: "x" }),
  );
  assert.is(JSON.parse(res.body.toString()).code, "unimplemented");
  const accepted = String(res.headers["accept-encoding"]).split(/,\s*/);
  assert.equal(accepted.sort(), ["br", "deflate", "gzip", "zstd"]);
});

test("stream: an unknown Connect-Content-Encoding is unimplemented", async () => {
  const res = await post(
    clientStreamPath,
    { "content-type": "application/connect+proto", "connect-content-encoding": "snappy" },
    envelope(0, message({ text: "x" })),
  );
  assert.is(endStream(res.body).error?.code, "unimplemented");
});

test("stream: a compressed flag without an encoding is internal", async () => {
  const res = await post(
    clientStreamPath,
    { "content-type": "application/connect+proto" },
    envelope(1, zlib.gzipSync(message({ text: "x" }))),
  );
  assert.is(endStream(res.body).error?.code, "internal");
});

test("stream: a message compressed with the named encoding is read", async () => {
  const res = await post(
    clientStreamPath,
    { "content-type": "application/connect+proto", "connect-content-encoding": "br" },
    Buffer.concat([
      envelope(1, zlib.brotliCompressSync(message({ text: "one" }))),
      envelope(0, message({ text: "two" })),
    ]),
  );
  assert.is(res.status, 200);
  assert.is(endStream(res.body).error, undefined);
});

test("unary: a corrupt gzip body is invalid_argument", async () => {
  const res = await post(
    unaryPath,
    { "content-type": "application/proto", "content-encoding": "gzip" },
    Buffer.from("definitely not gzip"),
  );
  assert.is(res.status, 400);
  assert.is(JSON.parse(res.body.toString()).code, "invalid_argument");
});

test("unary: a gzip bomb (1 MiB to 1 GiB) is resource_exhausted, and memory stays flat", async () => {
  const bomb = gzipBomb(1024);
  let res: RawResponse | undefined;
  const grew = await peakGrowth(async () => {
    res = await post(
      unaryPath,
      { "content-type": "application/proto", "content-encoding": "gzip" },
      bomb,
    );
  });
  assert.is(JSON.parse(res!.body.toString()).code, "resource_exhausted");
  assert.ok(grew < 96 * MiB, `grew by ${(grew / MiB).toFixed(1)} MiB`);
});

test("stream: a zstd bomb (128 KiB to 4 GiB) in an envelope is resource_exhausted", async () => {
  const grew = await peakGrowth(async () => {
    const res = await post(
      clientStreamPath,
      { "content-type": "application/connect+proto", "connect-content-encoding": "zstd" },
      envelope(1, zstdRleFrame(32768)),
    );
    assert.is(endStream(res.body).error?.code, "resource_exhausted");
  });
  assert.ok(grew < 96 * MiB, `grew by ${(grew / MiB).toFixed(1)} MiB`);
});

test("unary: a large error body is compressed when the client accepts it", async () => {
  const res = await post(
    unaryPath,
    { "content-type": "application/proto", "accept-encoding": "gzip" },
    message({ failWith: "not_found" }),
  );
  assert.is(res.status, 404);
  assert.is(res.headers["content-encoding"], "gzip");
  const json = JSON.parse(zlib.gunzipSync(res.body).toString());
  assert.is(json.code, "not_found");
});

test("unary: the server answers in the first accepted encoding it has", async () => {
  const res = await post(
    unaryPath,
    { "content-type": "application/proto", "accept-encoding": "snappy, zstd;q=0.9, gzip" },
    message({ text: "z", payload: new Uint8Array(4096) }),
  );
  assert.is(res.status, 200);
  assert.is(res.headers["content-encoding"], "zstd");
  assert.ok(res.body.length < 4096);
});

test.after(async () => {
  await server.close();
});

test.run();
