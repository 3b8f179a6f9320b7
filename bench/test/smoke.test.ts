// Every stack's server answers every stack's client correctly, and the
// runner's moving parts (child processes, load generators, parsers) work,
// so a broken benchmark fails here instead of posting a figure.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { openHeldStreams } from "../src/child/hold-streams.js";
import { makeData, sameBytes } from "../src/payload.js";
import { createBenchClient, startServer, supports } from "../src/stacks/index.js";
import { type HttpVersion, STACKS, type Wire } from "../src/types.js";

const UNARY_CALLS = 100;
const combos: [HttpVersion, Wire][] = [
  ["1.1", "connect"],
  ["2", "connect"],
  ["2", "grpc"],
];

for (const [httpVersion, wire] of combos) {
  for (const serverStack of STACKS) {
    if (!supports(serverStack, httpVersion, wire)) continue;
    for (const clientStack of STACKS) {
      if (!supports(clientStack, httpVersion, wire)) continue;
      // The bare client posts raw bytes, which only the bare (echo) server takes.
      if (clientStack === "bare" && serverStack !== "bare") continue;
      const name = `${clientStack} client -> ${serverStack} server, HTTP/${httpVersion} ${wire}`;
      test(name, async () => {
        const server = await startServer({ stack: serverStack, httpVersion });
        const client = await createBenchClient({
          stack: clientStack,
          httpVersion,
          wire,
          baseUrl: `http://127.0.0.1:${server.port}`,
        });
        try {
          const small = makeData(100);
          const calls = Array.from({ length: UNARY_CALLS }, () => client.unary(small));
          for (const echo of await Promise.all(calls)) assert.ok(sameBytes(echo, small));
          const large = makeData(1024 * 1024);
          assert.ok(sameBytes(await client.unary(large), large), "1 MiB echo");
          if (httpVersion === "2") {
            // Every client's bidi against the bare server too: its raw echo is the streaming floor.
            const session = client.bidi?.();
            assert.ok(session !== undefined);
            for (let i = 0; i < 20; i++) {
              const data = makeData(10 + i);
              assert.ok(sameBytes(await session.ping(data), data), `bidi ping ${i}`);
            }
            await session.close();
          }
          // The bare server makes no server streams and counts no client streams.
          if (serverStack === "bare" || clientStack === "bare") return;
          assert.is(await client.serverStream?.(5, 1024), 5 * 1024);
          assert.is(await client.clientStream?.([small, small, small]), 3);
        } finally {
          await client.close();
          await server.close();
        }
      });
    }
  }
}

for (const stack of ["ours", "connect-es", "grpc-js"] as const) {
  const wire: Wire = stack === "grpc-js" ? "grpc" : "connect";
  test(`${stack} server holds 50 server streams open until the client goes`, async () => {
    const server = await startServer({ stack, httpVersion: "2" });
    try {
      const held = await openHeldStreams(`http://127.0.0.1:${server.port}`, wire, 50);
      assert.is(held.opened, 50);
      await held.close();
    } finally {
      await server.close();
    }
  });
}

test.run();
