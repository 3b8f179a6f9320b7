// Runs the README's example as written (imports mapped to this package's
// sources and the test service), so that what it claims stays true.
import { readFileSync } from "node:fs";
import * as protocol from "@connect-ts/protocol";
import * as echo from "@connect-ts/test-support/echo";
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as interceptors from "../src/index.js";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const example = /```ts\n([\s\S]*?)```/.exec(readme)![1]!;
const modules: Record<string, Record<string, unknown>> = {
  "@connect-ts/protocol": protocol,
  "@connect-ts/interceptors": interceptors,
  "./gen/echo/v1/echo_pb.js": echo,
};

test("the README example runs and prints what it says", async () => {
  const names: string[] = [];
  const values: unknown[] = [];
  const body = example.replace(
    /import\s*\{([^}]+)\}\s*from\s*"([^"]+)";\n/g,
    (_, list: string, from: string) => {
      const mod = modules[from];
      assert.ok(mod, `unexpected import from ${from}`);
      for (const name of list
        .split(",")
        .map((n) => n.trim())
        .filter(Boolean)) {
        assert.ok(name in mod!, `${from} has no ${name}`);
        names.push(name);
        values.push(mod![name]);
      }
      return "";
    },
  );
  const lines: string[] = [];
  const console = { log: (...args: unknown[]) => lines.push(args.join(" ")) };
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
    ...args: string[]
  ) => (...args: unknown[]) => Promise<void>;
  await new AsyncFunction("console", ...names, body)(console, ...values);
  const printed = [...example.matchAll(/^\/\/ (.*)$/gm)].map((m) => m[1]!).slice(-4);
  assert.is(lines.length, 4);
  for (let i = 0; i < 4; i++) {
    // Durations vary; everything else must match the README.
    const pattern = printed[i]!.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(
      /\d+\\\.\dms/,
      "\\d+\\.\\dms",
    );
    assert.match(lines[i]!, new RegExp(`^${pattern}$`), `line ${i + 1}: ${lines[i]}`);
  }
});

test.run();
