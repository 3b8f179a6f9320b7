import { Readable } from "node:stream";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { frameDelimited, readDelimited } from "../src/delimited.js";

async function readAll(chunks: Uint8Array[]): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const m of readDelimited(Readable.from(chunks))) out.push(m);
  return out;
}

test("messages split across chunks at every offset come out whole", async () => {
  const messages = [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array(300).fill(7)];
  const stream = new Uint8Array(messages.reduce((n, m) => n + 4 + m.length, 0));
  let o = 0;
  for (const m of messages) {
    stream.set(frameDelimited(m), o);
    o += 4 + m.length;
  }
  for (let cut = 1; cut < stream.length; cut += 17) {
    const got = await readAll([stream.slice(0, cut), stream.slice(cut)]);
    assert.equal(got.length, 3, `cut at ${cut}`);
    assert.equal([...got[0]!], [1, 2, 3]);
    assert.equal(got[1]!.length, 0);
    assert.equal(got[2]!.length, 300);
  }
});

test("the prefix is a big-endian length", () => {
  const framed = frameDelimited(new Uint8Array(258));
  assert.equal([...framed.subarray(0, 4)], [0, 0, 1, 2]);
});

test("input that ends inside a message is an error", async () => {
  const framed = frameDelimited(new Uint8Array([9, 9, 9]));
  try {
    await readAll([framed.subarray(0, 5)]);
    assert.unreachable("should have thrown");
  } catch (err) {
    assert.match(String(err), /ended inside a message/);
  }
});

test.run();
