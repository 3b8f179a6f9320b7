// The runner's own parts: parsers, statistics, the table, and one real pass
// of each load generator and of a child process, so a change that breaks
// them fails here rather than in a 15-minute run.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Round } from "../src/child/load.js";
import { encodePayload, makeData } from "../src/payload.js";
import { PushQueue } from "../src/push-queue.js";
import { startChild } from "../src/runner/child.js";
import { benchConfig } from "../src/runner/config.js";
import { ChildScope, type RunContext } from "../src/runner/context.js";
import { checkEcho } from "../src/runner/echo-check.js";
import { ensureLoadTools, h2load, wrk, wrkMillis } from "../src/runner/load-tools.js";
import { Report, type Row } from "../src/runner/report.js";
import { median, quantileSorted } from "../src/runner/stats.js";
import { ratio, renderTable } from "../src/runner/table.js";
import { takeTogether, takeTurns, workloadEntrant } from "../src/runner/turns.js";
import { methodPath } from "../src/types.js";

test("median and quantiles", () => {
  assert.is(median([3, 1, 2]), 2);
  assert.is(median([4, 1, 2, 3]), 2.5);
  assert.ok(Number.isNaN(median([])));
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.is(quantileSorted(sorted, 0.5), 50);
  assert.is(quantileSorted(sorted, 0.99), 99);
});

test("wrk durations in milliseconds", () => {
  assert.is(wrkMillis("812.00us"), 0.812);
  assert.is(wrkMillis("1.50ms"), 1.5);
  assert.is(wrkMillis("2.00s"), 2000);
  assert.ok(Number.isNaN(wrkMillis("soon")));
});

test("the table shows ours ÷ peer and marks failures", () => {
  const row: Row = {
    section: "server",
    name: "unary h2c Connect 100 B",
    unit: "req/s",
    higherIsBetter: true,
    cells: {
      ours: { value: 30_000 },
      "connect-es": { value: 10_000 },
      "grpc-js": { value: undefined, error: "boom" },
      bare: { value: 50_000 },
    },
  };
  assert.is(ratio(row, "connect-es"), 3);
  assert.is(ratio(row, "bare"), 0.6);
  assert.is(ratio(row, "grpc-js"), undefined);
  const table = renderTable([row]);
  assert.match(table, "3.00x");
  assert.match(table, "0.60x");
  assert.match(table, "error");
});

test("paired rounds give the median of their ratios; unpaired ones the ratio of medians", () => {
  const row = (ours: number[], bare: number[]): Row => ({
    section: "server",
    name: "x",
    unit: "req/s",
    higherIsBetter: true,
    cells: {
      ours: { value: median(ours), rounds: ours },
      bare: { value: median(bare), rounds: bare },
    },
  });
  // Round 2 ran during a burst that slowed both: the pairs say 0.5x each time.
  assert.is(ratio(row([50, 10, 60], [100, 20, 120]), "bare"), 0.5);
  // Medians alone would say 50 ÷ 20 here; the pairs say 0.5, 5 and 0.5.
  assert.is(ratio(row([50, 100, 60], [100, 20, 120]), "bare"), 0.5);
  assert.is(ratio(row([50, 60], [100, 20, 120]), "bare"), 55 / 100);
});

test("turns: every round runs each entrant once, starting one further along", async () => {
  const order: string[] = [];
  const entrant = (key: string, failAt?: number) => {
    let n = 0;
    return {
      key,
      async measure(): Promise<Round> {
        order.push(key);
        if (++n === failAt) throw new Error(`${key} broke`);
        return { rate: n };
      },
    };
  };
  const results = await takeTurns([entrant("a"), entrant("b"), entrant("c", 2)], 3, () => {});
  assert.equal(order, ["a", "b", "c", "b", "c", "a", "a", "b"]);
  assert.equal(results.get("a"), [{ rate: 1 }, { rate: 2 }, { rate: 3 }]);
  assert.equal(results.get("b"), [{ rate: 1 }, { rate: 2 }, { rate: 3 }]);
  assert.instance(results.get("c"), Error);
});

test("together: every round runs all entrants at once; a failed one drops out alone", async () => {
  let running = 0;
  let most = 0;
  const entrant = (key: string, failAt?: number) => {
    let n = 0;
    return {
      key,
      async measure(): Promise<Round> {
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 20));
        running--;
        if (++n === failAt) throw new Error(`${key} broke`);
        return { rate: n };
      },
    };
  };
  const results = await takeTogether([entrant("a"), entrant("b"), entrant("c", 2)], 3, () => {});
  // All three overlapped in a round: they were measured at the same moments.
  assert.is(most, 3);
  assert.equal(results.get("a"), [{ rate: 1 }, { rate: 2 }, { rate: 3 }]);
  assert.equal(results.get("b"), [{ rate: 1 }, { rate: 2 }, { rate: 3 }]);
  assert.instance(results.get("c"), Error);
});

test("the push queue hands values to a waiting reader, in order, then ends", async () => {
  const queue = new PushQueue<number>();
  const it = queue[Symbol.asyncIterator]();
  const first = it.next();
  queue.push(1);
  queue.push(2);
  assert.equal(await first, { value: 1, done: false });
  assert.equal(await it.next(), { value: 2, done: false });
  queue.end();
  assert.is((await it.next()).done, true);
});

test("a child serves the bare server; h2load, wrk and the echo check run against it", async () => {
  assert.equal(await ensureLoadTools(() => {}), [], "h2load and wrk are installed");
  const scratch = mkdtempSync(join(tmpdir(), "bench-test-"));
  const body = encodePayload(makeData(100));
  const bodyFile = join(scratch, "body.bin");
  writeFileSync(bodyFile, body);
  const headers = { "content-type": "application/proto" };
  const timing = { warmupSeconds: 0, roundSeconds: 0.3, rounds: 1 };
  try {
    for (const httpVersion of ["2", "1.1"] as const) {
      const child = startChild({ cpu: undefined });
      try {
        const { port } = await child.call<{ port: number }>("serve", {
          stack: "bare",
          httpVersion,
        });
        const url = `http://127.0.0.1:${port}${methodPath("Unary")}`;
        await checkEcho(url, httpVersion, "connect", headers, body);
        const load = {
          url,
          bodyFile,
          headers,
          connections: 2,
          streams: 2,
          cpu: undefined,
          scratch,
        };
        const rounds: Round[] =
          httpVersion === "2"
            ? await h2load({ ...load, ...timing })
            : await wrk({ ...load, ...timing, roundSeconds: 1 });
        assert.is(rounds.length, 1);
        assert.ok(rounds[0]!.rate > 0);
        assert.ok(rounds[0]!.p99! >= rounds[0]!.p50!);
      } finally {
        await child.stop();
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});

test("a case in turns: servers and load children of two stacks, bidi and unary rounds", async () => {
  const ctx: RunContext = {
    config: { ...benchConfig(true), warmupSeconds: 0.1, roundSeconds: 0.2 },
    report: new Report(() => {}),
    pin: { server: undefined, load: undefined },
    scratch: tmpdir(),
  };
  const scope = new ChildScope(ctx);
  try {
    const entrants = [];
    for (const stack of ["ours", "grpc-js"] as const) {
      const { baseUrl } = await scope.server({ stack, httpVersion: "2" }, stack);
      const client = { stack, httpVersion: "2", wire: "grpc", baseUrl };
      entrants.push(
        await workloadEntrant(ctx, scope, `${stack}/bidi`, stack, {
          kind: "bidi",
          client,
          size: 1024,
        }),
        await workloadEntrant(ctx, scope, `${stack}/unary`, stack, {
          kind: "unary",
          client,
          size: 100,
          concurrency: 4,
        }),
      );
    }
    const results = await takeTurns(entrants, 2, () => {});
    assert.is(results.size, 4);
    for (const [key, rounds] of results) {
      assert.ok(Array.isArray(rounds), `${key}: ${String(rounds)}`);
      assert.is(rounds.length, 2);
      for (const round of rounds) assert.ok(round.rate > 0 && round.count! > 0, key);
    }
  } finally {
    await scope.close();
  }
});

test("the echo check refuses a server that answers with an error", async () => {
  const child = startChild({ cpu: undefined });
  try {
    const { port } = await child.call<{ port: number }>("serve", {
      stack: "connect-es",
      httpVersion: "2",
    });
    const url = `http://127.0.0.1:${port}${methodPath("Unary")}`;
    // Not a valid Payload message: field 1 with a truncated length.
    const bad = new Uint8Array([0x0a, 0x05, 0x01]);
    let error: unknown;
    try {
      await checkEcho(url, "2", "connect", { "content-type": "application/proto" }, bad);
    } catch (e) {
      error = e;
    }
    assert.instance(error, Error);
    assert.match((error as Error).message, "echo check");
  } finally {
    await child.stop();
  }
});

test.run();
