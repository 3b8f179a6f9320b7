import { Metadata } from "@connect-ts/protocol";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { httpDate } from "../src/http-date.js";
import { rawCall } from "./helpers/raw-client.js";
import { modes, routerOf, startServer } from "./helpers/servers.js";

// Responses carry a `date` header in every mode. Over HTTP/2 the adapter
// writes it itself (see http-date.ts), so these tests hold it to what Node
// would have sent: one IMF-fixdate, the current second, and a handler's own
// `date` left alone.

const imfFixdate =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$/;

function assertCurrent(date: unknown, what: string): void {
  assert.type(date, "string", what);
  assert.ok(imfFixdate.test(date as string), `${what}: ${String(date)}`);
  // Whole seconds, at most one behind: allow two for a slow machine.
  const age = Date.now() - Date.parse(date as string);
  assert.ok(age >= 0 && age < 2000, `${what}: ${age} ms old`);
}

test("httpDate is the current second as an IMF-fixdate", () => {
  const before = Math.floor(Date.now() / 1000) * 1000;
  const date = httpDate();
  const after = Date.now();
  assertCurrent(date, "httpDate()");
  const at = Date.parse(date);
  assert.ok(at >= before && at <= after, `${date} outside ${before}..${after}`);
  assert.is(date, new Date(at).toUTCString());
});

for (const mode of modes) {
  test(`${mode}: an answer carries one current date header`, async () => {
    const router = routerOf(
      async () => ({ status: 200, headers: new Metadata(), body: Uint8Array.of(7) }),
      ["/x"],
    );
    const server = await startServer(router, mode);
    try {
      for (let i = 0; i < 2; i++) {
        const res = await rawCall(server.url, mode, { path: "/x" });
        assert.is(res.status, 200);
        assertCurrent(res.headers.date, mode);
      }
    } finally {
      await server.close();
    }
  });

  test(`${mode}: a handler's own date header is the one sent`, async () => {
    const date = "Tue, 01 Jan 2030 00:00:00 GMT";
    const router = routerOf(
      async () => ({ status: 200, headers: new Metadata({ date }), body: Uint8Array.of(7) }),
      ["/x"],
    );
    const server = await startServer(router, mode);
    try {
      const res = await rawCall(server.url, mode, { path: "/x" });
      assert.is(res.headers.date, date);
    } finally {
      await server.close();
    }
  });
}

test.run();
