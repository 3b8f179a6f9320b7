import { once } from "node:events";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import {
  Code as EsCode,
  type ConnectError as EsConnectError,
  createClient,
} from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { Metadata } from "@connect-ts/protocol";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createFetchHandler, type FetchHandler } from "../src/index.js";
import { routerOf } from "./helpers/servers.js";
import { TestService, testService } from "./helpers/test-service.js";

const enc = new TextEncoder();
const base = "http://localhost/servertest.v1.TestService";

function envelope(flags: number, json: unknown): Uint8Array {
  const payload = enc.encode(JSON.stringify(json));
  const out = new Uint8Array(5 + payload.length);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, payload.length);
  out.set(payload, 5);
  return out;
}

function parseEnvelopes(bytes: Uint8Array): { flags: number; json: unknown }[] {
  const out: { flags: number; json: unknown }[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i + 5 <= bytes.length; ) {
    const len = view.getUint32(i + 1);
    out.push({
      flags: bytes[i]!,
      json: JSON.parse(new TextDecoder().decode(bytes.subarray(i + 5, i + 5 + len))),
    });
    i += 5 + len;
  }
  return out;
}

test("fetch: a unary JSON POST", async () => {
  const handler = createFetchHandler([testService()]);
  const res = await handler(
    new Request(`${base}/Echo`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-echo": "e" },
      body: JSON.stringify({ text: "hi" }),
    }),
  );
  assert.is(res.status, 200);
  assert.is(res.headers.get("x-echo"), "e");
  assert.is(res.headers.get("trailer-x-echo-trailer"), "e", "Connect unary trailers are headers");
  const body = (await res.json()) as { text: string };
  assert.is(body.text, "hi");
});

test("fetch: a Connect GET, and an error with its HTTP status", async () => {
  const handler = createFetchHandler([testService()]);
  const message = encodeURIComponent(JSON.stringify({ text: "got" }));
  const ok = await handler(
    new Request(`${base}/EchoGet?connect=v1&encoding=json&message=${message}`),
  );
  assert.is(ok.status, 200);
  assert.is(((await ok.json()) as { text: string }).text, "got");
  const failed = await handler(
    new Request(`${base}/Echo`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "no", failCode: 7 }),
    }),
  );
  assert.is(failed.status, 403);
  assert.is(((await failed.json()) as { code: string }).code, "permission_denied");
});

test("fetch: a server stream arrives as envelopes, ending with end-of-stream", async () => {
  const handler = createFetchHandler([testService()]);
  const res = await handler(
    new Request(`${base}/Count`, {
      method: "POST",
      headers: { "content-type": "application/connect+json" },
      body: envelope(0, { count: 3 }) as Uint8Array<ArrayBuffer>,
    }),
  );
  assert.is(res.status, 200);
  const frames = parseEnvelopes(new Uint8Array(await res.arrayBuffer()));
  assert.equal(
    frames.map((f) => f.flags),
    [0, 0, 0, 2],
  );
  assert.equal(
    frames.slice(0, 3).map((f) => (f.json as { number: number }).number),
    [1, 2, 3],
  );
});

test("fetch: a client stream read from a ReadableStream request body", async () => {
  const handler = createFetchHandler([testService()]);
  const chunks = [envelope(0, { number: "5" }), envelope(0, { number: "7" })];
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks.shift();
      if (next) controller.enqueue(next);
      else controller.close();
    },
  });
  const res = await handler(
    new Request(`${base}/Sum`, {
      method: "POST",
      headers: { "content-type": "application/connect+json" },
      body,
      duplex: "half",
    } as RequestInit),
  );
  const frames = parseEnvelopes(new Uint8Array(await res.arrayBuffer()));
  assert.equal(frames[0]!.json, { sum: "12", messages: 2 });
  assert.is(frames[1]!.flags, 2);
});

test("fetch: a body ending with trailers fails rather than ending cleanly", async () => {
  const handler = createFetchHandler(
    routerOf(async () => {
      async function* body() {
        yield new Uint8Array([1]);
      }
      return {
        status: 200,
        headers: new Metadata(),
        body: body(),
        trailers: new Metadata({ "grpc-status": "0" }),
      };
    }),
  );
  const res = await handler(new Request("http://localhost/x", { method: "POST" }));
  const outcome = await res.arrayBuffer().then(
    () => "clean end",
    () => "failed",
  );
  assert.is(outcome, "failed");
});

/** A tiny node:http bridge to a Fetch handler, as Fetch-serving runtimes do it. */
async function bridge(handler: FetchHandler): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(async (req, res) => {
    const controller = new AbortController();
    res.once("close", () => controller.abort());
    const headers = new Headers();
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
    }
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    const request = new Request(`http://${req.headers.host}${req.url}`, {
      method: req.method,
      headers,
      body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : undefined,
      signal: controller.signal,
      duplex: "half",
    } as RequestInit);
    try {
      const response = await handler(request);
      res.writeHead(response.status, Object.fromEntries(response.headers));
      if (response.body) for await (const chunk of response.body) res.write(chunk);
      res.end();
    } catch {
      res.destroy();
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.close();
      server.closeAllConnections();
      await once(server, "close");
    },
  };
}

test("fetch over a socket: connect-es clients through a node:http bridge", async () => {
  const served = await bridge(createFetchHandler([testService()]));
  const agent = new http.Agent({ keepAlive: true });
  try {
    for (const useBinaryFormat of [true, false]) {
      const client = createClient(
        TestService,
        createConnectTransport({
          baseUrl: served.url,
          httpVersion: "1.1",
          useBinaryFormat,
          nodeOptions: { agent },
        }),
      );
      assert.is((await client.echo({ text: "bridged" })).text, "bridged");
      const numbers: number[] = [];
      for await (const m of client.count({ count: 3 })) numbers.push(m.number);
      assert.equal(numbers, [1, 2, 3]);
      const sum = await client.sum(
        (async function* () {
          yield { number: 1n };
          yield { number: 2n };
        })(),
      );
      assert.is(sum.sum, 3n);
      const err = await client.echo({ text: "x", failCode: EsCode.Unavailable }).catch((e) => e);
      assert.is((err as EsConnectError).code, EsCode.Unavailable);
    }
  } finally {
    agent.destroy();
    await served.close();
  }
});

test.run();
