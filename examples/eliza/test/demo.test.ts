import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";

const exampleDir = fileURLToPath(new URL("..", import.meta.url));

test("the demo talks to Eliza in every protocol over both HTTP versions and exits 0", async () => {
  const { code, stdout, stderr } = await new Promise<{
    code: number;
    stdout: string;
    stderr: string;
  }>((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "src/demo.ts"],
      { cwd: exampleDir, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
  assert.is(code, 0, stderr);
  const sections = stdout.split("\n=== ").slice(1);
  assert.is(sections.length, 5, stdout);
  const calls = sections.slice(0, 4);
  assert.equal(
    calls.map((s) => s.slice(0, s.indexOf(" at "))),
    [
      "Talking to Eliza in connect over HTTP/2 (h2c)",
      "Talking to Eliza in connect over HTTP/1.1",
      "Talking to Eliza in grpc over HTTP/2 (h2c)",
      "Talking to Eliza in grpc-web over HTTP/1.1",
    ],
  );
  for (const section of calls) {
    for (const call of ["say", "callSay", "introduce", "pontificate", "converse"]) {
      assert.match(section, new RegExp(`\\n  ${call}\\s+> `), `${call} in ${section.slice(0, 60)}`);
    }
  }
  const layers = sections[4]!;
  assert.match(layers, "(content-encoding: gzip)");
  assert.match(layers, "(connect-content-encoding: gzip)");
  assert.match(layers, "client log   > client /eliza.v1.ElizaService/Say ok");
  assert.match(layers, "server log   > server /eliza.v1.ElizaService/Say ok");
  assert.match(stdout, "All four kinds of call worked over HTTP/2 and HTTP/1.1.");
});

test.run();
