// The client side of the chaos tests both transports run: many calls at once,
// each asking a misbehaving server for one kind of trouble by path. What the
// server does for each path is the transport's own business.
import { ConnectError, type HttpRequest, type Transport } from "@connect-ts/protocol";
import * as assert from "uvu/assert";
import { postRequest } from "./post-request.js";
import { sleep, within } from "./timing.js";
import { bytes } from "./utf8.js";

/** A small deterministic generator, so that a failure can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** Server behaviours by path name, each with how often (out of 100) calls ask for it. */
export type Behaviours = readonly (readonly [name: string, weight: number])[];

/** The behaviour a roll in [0, 1) lands on, by the weights; "ok" past the end. */
export function pickBehaviour(behaviours: Behaviours, roll: number): string {
  let left = roll * 100;
  for (const [name, weight] of behaviours) {
    left -= weight;
    if (left < 0) return name;
  }
  return "ok";
}

/** What a chaos run needs: the transport under test and its misbehaving server. */
export interface ChaosOptions {
  readonly transport: Transport;
  /** The server; each call posts to `${server.url}/${behaviour}`. */
  readonly server: { readonly url: string; close(): Promise<void> };
  readonly behaviours: Behaviours;
  /** Each call is aborted with a TimeoutError after this long. */
  readonly deadlineMs: number;
  /** How many calls, started over the first 200 ms; 300 unless given. */
  readonly calls?: number;
  /** Seed of the generator that picks behaviours, bodies and reads; 42 unless given. */
  readonly seed?: number;
}

/**
 * Runs the calls and asserts that every one settles within 10 s with a
 * response or a ConnectError, that at least 30 get through, and that the
 * others fail in more than one way. Closes the transport, then the server,
 * whatever the result. Returns the count of each outcome (`ok`, or the code
 * name of the error).
 */
export async function runChaos(options: ChaosOptions): Promise<Map<string, number>> {
  try {
    return await chaosCalls(options);
  } finally {
    await options.transport.close();
    await options.server.close();
  }
}

async function chaosCalls(options: ChaosOptions): Promise<Map<string, number>> {
  const { transport, behaviours, deadlineMs } = options;
  const url = options.server.url;
  const next = seededRandom(options.seed ?? 42);
  const outcomes = new Map<string, number>();
  const calls = Array.from({ length: options.calls ?? 300 }, async (_, i) => {
    await sleep(Math.floor(next() * 200));
    const behaviour = pickBehaviour(behaviours, next());
    // One controller for both the caller's cancel and the deadline: on Node 20,
    // AbortSignal.any() over AbortSignal.timeout() can lose the timeout to GC.
    const controller = new AbortController();
    const abortAfter = next() < 0.2 ? Math.floor(next() * 50) : -1;
    const cancel = abortAfter >= 0 ? setTimeout(() => controller.abort(), abortAfter) : undefined;
    const deadline = setTimeout(
      () => controller.abort(new DOMException("deadline", "TimeoutError")),
      deadlineMs,
    );
    const body: HttpRequest["body"] =
      next() < 0.5
        ? bytes(`call ${i}`)
        : (async function* () {
            yield bytes(`call ${i}`);
          })();
    const read = next();
    try {
      const res = await transport.request(
        postRequest(`${url}/${behaviour}`, body, controller.signal),
      );
      if (read < 0.4) await res.body.readAll(10_000);
      else if (read < 0.8) for await (const _ of res.body);
      else res.body.cancel();
      outcomes.set("ok", (outcomes.get("ok") ?? 0) + 1);
    } catch (error) {
      assert.instance(error, ConnectError, String(error));
      const name = (error as ConnectError).message.split("]")[0]!.slice(1);
      outcomes.set(name, (outcomes.get(name) ?? 0) + 1);
    } finally {
      clearTimeout(cancel);
      clearTimeout(deadline);
    }
  });
  await within(Promise.all(calls), 10_000, "all calls settled");
  // Some calls get through, and the others fail in more than one way.
  assert.ok((outcomes.get("ok") ?? 0) >= 30, JSON.stringify([...outcomes]));
  assert.ok(outcomes.size >= 3, JSON.stringify([...outcomes]));
  return outcomes;
}
