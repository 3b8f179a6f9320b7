import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { type Mode, startServer } from "./helpers/servers.js";
import { testService } from "./helpers/test-service.js";
import { tlsMaterial } from "./helpers/tls.js";

// curl, a peer with its own HTTP stack, against our server. It runs as a
// child process, so the server in this process keeps serving meanwhile.

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "connect-ts-curl-"));
const caFile = join(dir, "ca.pem");
writeFileSync(caFile, tlsMaterial().ca);

const curlFlags: Record<Mode, string[]> = {
  h1: ["--http1.1"],
  "h1-tls": ["--http1.1", "--cacert", caFile],
  h2c: ["--http2-prior-knowledge"],
  "h2c-compat": ["--http2-prior-knowledge"],
  "h2-tls": ["--http2", "--cacert", caFile],
};

/** Runs curl and returns the HTTP version, the status and the body it saw. */
async function curl(mode: Mode, args: string[]) {
  const { stdout } = await run(
    "curl",
    [
      "-sS",
      "--max-time",
      "10",
      ...curlFlags[mode],
      "-w",
      "\n%{http_version} %{http_code}",
      ...args,
    ],
    { timeout: 15000 },
  );
  const split = stdout.lastIndexOf("\n");
  const [version, status] = stdout.slice(split + 1).split(" ");
  return { version, status: Number(status), body: stdout.slice(0, split) };
}

for (const mode of ["h1", "h1-tls", "h2c", "h2-tls", "h2c-compat"] as Mode[]) {
  test(`curl, ${mode}: a unary JSON POST`, async () => {
    const server = await startServer([testService()], mode);
    try {
      const res = await curl(mode, [
        "-X",
        "POST",
        "-H",
        "content-type: application/json",
        "-H",
        "x-echo: from-curl",
        "--data",
        '{"text":"hello from curl"}',
        `${server.url}/servertest.v1.TestService/Echo`,
      ]);
      assert.is(res.version, mode.startsWith("h2") ? "2" : "1.1");
      assert.is(res.status, 200);
      assert.equal(JSON.parse(res.body), { text: "hello from curl", timeRemainingMs: "-1" });
    } finally {
      await server.close();
    }
  });

  test(`curl, ${mode}: a Connect GET, and an error as Connect JSON`, async () => {
    const server = await startServer([testService()], mode);
    try {
      const message = encodeURIComponent(JSON.stringify({ text: "got it" }));
      const res = await curl(mode, [
        `${server.url}/servertest.v1.TestService/EchoGet?connect=v1&encoding=json&message=${message}`,
      ]);
      assert.is(res.status, 200);
      assert.is(JSON.parse(res.body).text, "got it");
      const failed = await curl(mode, [
        "-H",
        "content-type: application/json",
        "--data",
        '{"text":"x","failCode":5}',
        `${server.url}/servertest.v1.TestService/Echo`,
      ]);
      assert.is(failed.status, 404);
      assert.equal(JSON.parse(failed.body), { code: "not_found", message: "failed as asked: x" });
    } finally {
      await server.close();
    }
  });
}

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
