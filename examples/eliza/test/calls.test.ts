import { Code, ConnectError, type Transport } from "@connect-ts/protocol";
import type { ConnectServer } from "@connect-ts/server";
import { createHttp1Transport } from "@connect-ts/transport-http1";
import { createHttp2Transport } from "@connect-ts/transport-http2";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { talkToEliza } from "../src/conversation.js";
import { talkWithLayers } from "../src/layered.js";
import { ElizaServiceClient } from "../src/gen/eliza/v1/eliza_connect.js";
import { startElizaServer } from "../src/server.js";

// Real servers on loopback, one per HTTP version, shared by the tests below.
const servers: { h2?: ConnectServer; h1?: ConnectServer } = {};
const transports: Transport[] = [];

test.before(async () => {
  servers.h2 = await startElizaServer({ httpVersion: "2" });
  servers.h1 = await startElizaServer({ httpVersion: "1.1" });
});

test.after(async () => {
  await Promise.allSettled(transports.map((t) => t.close()));
  await Promise.allSettled(Object.values(servers).map((s) => s.close({ graceMs: 100 })));
});

function h2(): Transport {
  const t = createHttp2Transport({ baseUrl: servers.h2!.url });
  transports.push(t);
  return t;
}

test("the client's session makes all four kinds of call over HTTP/2", async () => {
  const lines: string[] = [];
  await talkToEliza(h2(), (line) => lines.push(line));
  const count = (call: string) => lines.filter((l) => new RegExp(`^${call}\\s+> `).test(l)).length;
  assert.is(count("say"), 1);
  assert.is(count("callSay"), 1);
  assert.is(count("introduce"), 4);
  assert.is(count("pontificate"), 1);
  assert.is(count("converse"), 4);
  assert.is(count("say \\(too long\\)"), 1);
  assert.match(lines.join("\n"), "introduce    > Eliza: Hi Henry, I'm Eliza.");
  assert.match(lines.join("\n"), "(mood: attentive)");
  assert.match(lines.join("\n"), "converse     > Eliza: Goodbye. It was nice talking to you.");
  assert.match(lines.join("\n"), "pontificate  > Eliza responds: You said 2 things.");
  assert.match(lines.join("\n"), "refused with invalid_argument");
});

for (const protocol of ["grpc", "grpc-web"] as const) {
  test(`the session works in ${protocol} over HTTP/2 too`, async () => {
    const lines: string[] = [];
    await talkToEliza(h2(), (line) => lines.push(line), { protocol });
    assert.is(lines.length, 12);
    assert.match(lines.join("\n"), "introduce    > Eliza: Hi Henry, I'm Eliza.");
    assert.match(lines.join("\n"), "refused with invalid_argument");
  });
}

for (const protocol of ["connect", "grpc-web"] as const) {
  test(`the session works in ${protocol} over HTTP/1.1`, async () => {
    const transport = createHttp1Transport({ baseUrl: servers.h1!.url });
    transports.push(transport);
    const lines: string[] = [];
    await talkToEliza(transport, (line) => lines.push(line), { protocol });
    assert.is(lines.length, 12);
    assert.match(lines.join("\n"), "converse     > Eliza: Goodbye. It was nice talking to you.");
    assert.match(lines.join("\n"), "(mood: attentive)");
  });
}

test("compression and interceptors composed into the generated client take effect", async () => {
  const lines: string[] = [];
  await talkWithLayers((line) => lines.push(line));
  const text = lines.join("\n");
  assert.match(text, "(content-encoding: gzip)");
  assert.match(text, "callIntroduce > 4 sentences (connect-content-encoding: gzip)");
  assert.is(lines.filter((l) => l.startsWith("client log")).length, 2);
  assert.is(lines.filter((l) => l.startsWith("server log")).length, 2);
});

test("low-level outputs carry headers, trailers and errors", async () => {
  const client = new ElizaServiceClient(h2());
  const tooLong = await client.callSay({ sentence: "x".repeat(1001) });
  assert.is(tooLong.message, undefined);
  assert.is(tooLong.error?.code, Code.InvalidArgument);

  const intro = client.callIntroduce({ name: "Ada" });
  const sentences: string[] = [];
  for await (const r of intro) {
    sentences.push(r.sentence);
  }
  assert.is(intro.error, undefined);
  assert.is(sentences.length, 4);
  assert.is(intro.trailers.get("eliza-sentences"), "4");
});

test("bidi over HTTP/2 is full duplex: an answer arrives before the next sentence is sent", async () => {
  const client = new ElizaServiceClient(h2());
  let answered = 0;
  let sentBeforeAnswer = -1;
  let sent = 0;
  async function* sentences() {
    for (const sentence of ["I feel tired", "I need sleep", "bye"]) {
      sent++;
      yield { sentence };
      // Wait for the answer to this sentence before sending the next one; a
      // half-duplex transport would never answer and the deadline would end it.
      const deadline = Date.now() + 5000;
      while (answered < sent && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 5));
      }
      if (sentBeforeAnswer < 0 && answered > 0) {
        sentBeforeAnswer = sent;
      }
    }
  }
  const replies: string[] = [];
  for await (const r of client.converse(sentences(), { timeoutMs: 10_000 })) {
    answered++;
    replies.push(r.sentence);
  }
  assert.is(replies.length, 3);
  assert.is(sentBeforeAnswer, 1, "the first answer came while the stream was open");
});

test("a deadline shorter than the introduction ends it with deadline_exceeded", async () => {
  // Four sentences 300 ms apart take 900 ms; the client allows 500.
  const slow = await startElizaServer({ httpVersion: "2", introDelayMs: 300 });
  try {
    const client = new ElizaServiceClient(h2Of(slow.url));
    let error: ConnectError | undefined;
    const got: string[] = [];
    try {
      for await (const r of client.introduce({ name: "Grace" }, { timeoutMs: 500 })) {
        got.push(r.sentence);
      }
    } catch (e) {
      error = ConnectError.from(e);
    }
    assert.is(error?.code, Code.DeadlineExceeded);
    assert.ok(got.length < 4, `got ${got.length} sentences`);
  } finally {
    await slow.close({ graceMs: 100 });
  }
});

function h2Of(baseUrl: string): Transport {
  const t = createHttp2Transport({ baseUrl });
  transports.push(t);
  return t;
}

test.run();
