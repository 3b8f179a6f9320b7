// Round trips of arbitrary bytes through every codec of both builds, and
// arbitrary bytes fed to every decoder: always a result or a ConnectError.
import { Code, ConnectError } from "@connect-ts/protocol";
import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { builds } from "./helpers/builds.js";

const LIMIT = 1024 * 1024;

for (const build of builds) {
  const codecs = [build.gzip, build.deflate].concat(
    build.runtime === "node" ? [build.brotli, build.zstd] : [],
  );
  for (const codec of codecs) {
    test(`${build.runtime} ${codec.name}: any bytes round trip`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 8192 }), async (data) => {
          const out = await codec.decompress(await codec.compress(data), LIMIT);
          assert.ok(Buffer.from(out).equals(Buffer.from(data)));
        }),
        { numRuns: 40 },
      );
    });
  }
  for (const codec of [build.gzip, build.deflate, build.zstd].concat(
    build.runtime === "node" ? [build.brotli] : [],
  )) {
    test(`${build.runtime} ${codec.name}: any input decodes or fails with a ConnectError`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (data) => {
          try {
            const out = await codec.decompress(data, 64 * 1024);
            assert.ok(out.length <= 64 * 1024);
          } catch (e) {
            assert.instance(e, ConnectError);
            const code = (e as ConnectError).code;
            assert.ok(code === Code.InvalidArgument || code === Code.ResourceExhausted, String(e));
          }
        }),
        { numRuns: 150 },
      );
    });
    test(`${build.runtime} ${codec.name}: damaged streams decode or fail with a ConnectError`, async () => {
      const source = builds[0]!;
      const producer = [source.gzip, source.deflate, source.brotli, source.zstd].find(
        (c) => c.name === codec.name,
      )!;
      const text = new TextEncoder().encode("records of names, numbers and words. ".repeat(300));
      const valid = await producer.compress(text);
      await fc.assert(
        fc.asyncProperty(
          fc.nat({ max: valid.length - 1 }),
          fc.integer({ min: 1, max: 255 }),
          async (at, flip) => {
            const damaged = Uint8Array.from(valid);
            damaged[at] = damaged[at]! ^ flip;
            try {
              const out = await codec.decompress(damaged, 64 * 1024);
              assert.ok(out.length <= 64 * 1024);
            } catch (e) {
              assert.instance(e, ConnectError);
              const code = (e as ConnectError).code;
              assert.ok(
                code === Code.InvalidArgument || code === Code.ResourceExhausted,
                String(e),
              );
            }
          },
        ),
        { numRuns: 150 },
      );
    });
  }
}

test.run();
