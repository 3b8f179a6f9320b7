import * as http2 from "node:http2";
import { Code, ConnectError, createClient } from "@connect-ts/protocol";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { openExchange } from "./helpers/exchange.js";
import { within } from "./helpers/gate.js";
import { connectH2 } from "./helpers/raw-client.js";
import { type Mode, modes, startServer } from "./helpers/servers.js";
import { TestService, testService } from "./helpers/test-service.js";
import { transportFor } from "./helpers/transports.js";

// A request message over the server's readMaxBytes while the client is still
// sending the body: the client gets the whole resource_exhausted answer and
// never hangs; over HTTP/2 the stream is then reset with NO_ERROR and the
// connection goes on serving calls.

const limit = 1000;
/** Well past one HTTP/2 stream window (64 KiB), so unread data would stall the client. */
const big = 200 * 1024;

function envelope(size: number): Buffer {
  const b = Buffer.alloc(5 + size, 0x61);
  b.writeUInt32BE(size, 1);
  return b;
}

const cases: { name: string; path: string; headers: Record<string, string>; body: Buffer }[] = [
  {
    name: "Connect unary",
    path: "/servertest.v1.TestService/Echo",
    headers: { "content-type": "application/proto" },
    body: Buffer.alloc(big, 0x61),
  },
  {
    name: "Connect client stream",
    path: "/servertest.v1.TestService/Sum",
    headers: { "content-type": "application/connect+proto" },
    body: envelope(big),
  },
  {
    name: "gRPC unary",
    path: "/servertest.v1.TestService/Echo",
    headers: { "content-type": "application/grpc", te: "trailers" },
    body: envelope(big),
  },
  {
    name: "gRPC client stream",
    path: "/servertest.v1.TestService/Sum",
    headers: { "content-type": "application/grpc", te: "trailers" },
    body: envelope(big),
  },
];

/** The error code an answer carries, whichever protocol it is in. */
function codeOf(status: number, body: Buffer, trailers: Record<string, unknown>): string {
  if (trailers["grpc-status"] !== undefined) return `grpc ${trailers["grpc-status"]}`;
  if (body.byteLength === 0) return "no body";
  const text = body.toString("latin1");
  if (status !== 200) return JSON.parse(text).code;
  // A Connect end-stream message: flags 0x02, then JSON.
  return JSON.parse(text.slice(5)).error.code;
}

const expected: Record<string, string> = {
  "Connect unary": "resource_exhausted",
  "Connect client stream": "resource_exhausted",
  "gRPC unary": "grpc 8",
  "gRPC client stream": "grpc 8",
};

for (const mode of ["h2c", "h2-tls", "h2c-compat"] as const) {
  for (const c of cases) {
    test(`${mode}: ${c.name} over the limit, body left open: whole answer, then RST_STREAM(NO_ERROR), and the connection still serves`, async () => {
      const server = await startServer([testService()], mode, { readMaxBytes: limit });
      const session = connectH2(server.url);
      try {
        const stream = session.request({ ":method": "POST", ":path": c.path, ...c.headers });
        stream.on("error", () => {});
        let status = 0;
        let head: Record<string, unknown> = {};
        let trailers: Record<string, unknown> = {};
        let trailerFrames = 0;
        const chunks: Buffer[] = [];
        stream.on("response", (h) => {
          status = Number(h[":status"]);
          head = h;
        });
        stream.on("trailers", (t) => {
          trailers = t;
          trailerFrames++;
        });
        stream.on("data", (d: Buffer) => chunks.push(d));
        const ended = new Promise<void>((r) => stream.once("end", () => r()));
        const closed = new Promise<number | undefined>((r) =>
          stream.once("close", () => r(stream.rstCode)),
        );
        // The client never ends its side: only the server's reset can close the stream.
        stream.write(c.body);
        await within(3000, ended, "the answer's END_STREAM");
        if (c.name.startsWith("gRPC")) {
          // Trailers-Only: the status rides on the one HEADERS frame that
          // ends the stream, so the answer is whole the moment it arrives.
          assert.is(trailerFrames, 0, "no separate trailers frame");
          assert.is(Buffer.concat(chunks).byteLength, 0, "no body");
          assert.is(codeOf(status, Buffer.alloc(0), head), expected[c.name]);
        } else {
          assert.is(codeOf(status, Buffer.concat(chunks), trailers), expected[c.name]);
        }
        assert.is(
          await within(3000, closed, "the stream's reset"),
          http2.constants.NGHTTP2_NO_ERROR,
        );
        assert.not.ok(stream.writableFinished, "the client did not end its side");

        // The same connection serves the next call.
        const next = session.request({
          ":method": "POST",
          ":path": "/servertest.v1.TestService/Echo",
          "content-type": "application/json",
        });
        next.end(JSON.stringify({ text: "again" }));
        let text = "";
        next.on("data", (d: Buffer) => {
          text += d.toString();
        });
        await within(3000, new Promise((r) => next.once("end", r)), "the next call");
        assert.equal(JSON.parse(text).text, "again");
      } finally {
        session.close();
        await server.close();
      }
    });
  }
}

for (const mode of ["h1", "h1-tls"] as const) {
  for (const c of cases.filter((k) => !k.name.startsWith("gRPC client"))) {
    test(`${mode}: ${c.name} over the limit: the whole answer arrives and the body is not left blocked`, async () => {
      const server = await startServer([testService()], mode, { readMaxBytes: limit });
      const ex = openExchange(server.url, mode, c.path, c.headers);
      try {
        let written = false;
        ex.request.write(c.body, () => {
          written = true;
        });
        ex.request.end();
        const head = await within(3000, ex.head, "the answer's headers");
        const chunks: Buffer[] = [];
        for await (const chunk of ex.response()) chunks.push(chunk as Buffer);
        const trailers = await within(3000, ex.trailers, "the trailers");
        // gRPC refusals are Trailers-Only: the status comes with the headers.
        const meta = c.name.startsWith("gRPC") ? head.headers : trailers;
        assert.is(codeOf(head.status, Buffer.concat(chunks), meta), expected[c.name]);
        // The server read the rest of the body instead of resetting under the writer.
        await within(3000, ex.ended, "the exchange's end");
        assert.ok(written, "the whole body was written");
      } finally {
        ex.close();
        await server.close();
      }
    });
  }
}

for (const mode of modes satisfies readonly Mode[]) {
  for (const protocol of ["connect", "grpc"] as const) {
    test(`${mode}, ${protocol}: our client gets resource_exhausted for unary and client-stream messages over the limit, then calls on`, async () => {
      const server = await startServer([testService()], mode, { readMaxBytes: limit });
      const transport = transportFor(mode, server.url);
      try {
        const client = createClient(TestService, transport, { protocol });
        const unary = await within(
          5000,
          client.echo({ text: "big", payload: new Uint8Array(big) }).catch((e) => e),
          "unary over the limit",
        );
        assert.instance(unary, ConnectError);
        assert.is((unary as ConnectError).code, Code.ResourceExhausted);
        async function* requests() {
          yield { number: 1n, padding: new Uint8Array(big) };
          yield { number: 2n };
        }
        const stream = await within(
          5000,
          client.sum(requests()).catch((e) => e),
          "client stream over the limit",
        );
        assert.instance(stream, ConnectError);
        assert.is((stream as ConnectError).code, Code.ResourceExhausted);
        const ok = await within(5000, client.echo({ text: "after" }), "the next call");
        assert.is(ok.text, "after");
      } finally {
        await transport.close();
        await server.close();
      }
    });
  }
}

test.run();
