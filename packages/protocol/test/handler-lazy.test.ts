// The handler side makes what a call needs only when something uses it:
// Metadata maps, response headers and trailers, the call's signal and the
// request's. These tests pin the behaviour that must not change with it.
import { getEventListeners } from "node:events";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  type AbortWatcher,
  Code,
  ConnectError,
  createHttpBody,
  createRouter,
  encodeEnvelope,
  type HandlerContext,
  type Interceptor,
  Metadata,
  registerService,
  type ServerRequest,
  type ServerResponse,
} from "../src/index.js";
import { HandlerSignal } from "../src/handler-signal.js";
import { TestService } from "./gen/testpb/v1/test_pb.js";
import { readResponse } from "./support/raw.js";

const P = "/testpb.v1.TestService";
const utf8 = new TextEncoder();

/** A request whose signal is made on first read, as the Node adapter makes it; counts the reads. */
class LazyRequest implements ServerRequest {
  readonly method = "POST";
  readonly query = "";
  readonly httpVersion = "2";
  readonly headers: Metadata;
  readonly body;
  readonly controller = new AbortController();
  signalReads = 0;

  constructor(
    readonly path: string,
    headers: Record<string, string>,
    body: Uint8Array | AsyncIterable<Uint8Array>,
  ) {
    this.headers = new Metadata(headers);
    this.body = createHttpBody(body);
  }

  get signal(): AbortSignal {
    this.signalReads++;
    return this.controller.signal;
  }
}

/**
 * A lazy request that also tells of its abort through `watchAbort`, as the
 * Node adapter does; counts the watchers set and removed.
 */
class WatchingRequest extends LazyRequest {
  watcher: AbortWatcher | undefined = undefined;
  watches = 0;
  unwatches = 0;

  watchAbort(watcher: AbortWatcher | undefined): boolean {
    if (watcher === undefined) this.unwatches++;
    else this.watches++;
    if (this.controller.signal.aborted) {
      this.watcher = undefined;
      return false;
    }
    this.watcher = watcher;
    return true;
  }

  /** Aborts as the adapter does: the watcher first, then the signal. */
  abort(reason: unknown): void {
    const watcher = this.watcher;
    this.watcher = undefined;
    watcher?.requestAborted(reason);
    this.controller.abort(reason);
  }
}

function streamRequest(kind: "connect" | "grpc" | "grpc-web", text: string) {
  const message = utf8.encode(JSON.stringify({ text }));
  const type =
    kind === "connect"
      ? "application/connect+json"
      : kind === "grpc"
        ? "application/grpc+json"
        : "application/grpc-web+json";
  return new WatchingRequest(
    `${P}/ServerStream`,
    { "content-type": type },
    encodeEnvelope(0, message),
  );
}

/** A gRPC answer's status: in its trailers, or in its headers when it is Trailers-Only. */
function grpcStatus(res: ServerResponse): string | undefined {
  return res.trailers?.get("grpc-status") ?? res.headers.get("grpc-status");
}

const connectJson = { "content-type": "application/json" };
const grpcJson = { "content-type": "application/grpc+json" };
const grpcWebJson = { "content-type": "application/grpc-web+json" };

function unaryRequest(kind: "connect" | "grpc" | "grpc-web", text: string, extra = {}) {
  const message = utf8.encode(JSON.stringify({ text }));
  if (kind === "connect")
    return new LazyRequest(`${P}/Unary`, { ...connectJson, ...extra }, message);
  const headers = kind === "grpc" ? grpcJson : grpcWebJson;
  return new LazyRequest(`${P}/Unary`, { ...headers, ...extra }, encodeEnvelope(0, message));
}

test("Metadata: an empty instance reads as empty everywhere", () => {
  const m = new Metadata();
  assert.is(m.size, 0);
  assert.is(m.get("a"), undefined);
  assert.equal(m.getAll("a"), []);
  assert.is(m.has("a"), false);
  assert.is(m.delete("a"), false);
  assert.equal([...m], []);
  assert.equal([...m.keys()], []);
  assert.equal([...m.entries()], []);
  assert.equal(m.toRecord(), {});
  let calls = 0;
  m.forEach(() => {
    calls++;
  });
  assert.is(calls, 0);
  // Merging empties stays empty and shares nothing.
  const other = new Metadata(m).merge(new Metadata()).merge({});
  assert.is(other.size, 0);
  other.set("x", "1");
  assert.is(m.size, 0);
  m.append("Y", "2");
  assert.equal(m.toRecord(), { y: "2" });
  m.clear();
  assert.is(m.size, 0);
  assert.is(m.get("y"), undefined);
});

test("Metadata: merged values are copies, and merging an instance into itself doubles it", () => {
  const a = new Metadata([
    ["x", "1"],
    ["x", "2"],
  ]);
  const b = new Metadata(a);
  b.append("x", "3");
  assert.equal(a.getAll("x"), ["1", "2"]);
  assert.equal(b.getAll("x"), ["1", "2", "3"]);
  a.merge(a);
  assert.equal(a.getAll("x"), ["1", "2", "1", "2"]);
});

test("Metadata.fromRawHeaders: lower-cases names, keeps repeated values in order, skips pseudo-headers", () => {
  const m = Metadata.fromRawHeaders([
    ":method",
    "POST",
    "Content-Type",
    "application/proto",
    "x-a",
    "1",
    ":path",
    "/x",
    "X-A",
    "2",
    "x-Ünï",
    "u",
  ]);
  assert.equal([...m.keys()], ["content-type", "x-a", "x-ünï"]);
  assert.equal(m.getAll("x-a"), ["1", "2"]);
  assert.is(m.get("X-a"), "1, 2");
  assert.is(m.get("content-type"), "application/proto");
  assert.is(m.get("X-ÜNÏ"), "u");
  assert.is(Metadata.fromRawHeaders([]).size, 0);
  assert.is(Metadata.fromRawHeaders([":path", "/"]).size, 0);
  // A name without a value (an odd-length list) is ignored rather than read past the end.
  assert.equal(Metadata.fromRawHeaders(["a", "1", "b"]).toRecord(), { a: "1" });
});

for (const kind of ["connect", "grpc", "grpc-web"] as const) {
  test(`${kind}: a synchronous unary call without a timeout never reads the request's signal`, async () => {
    const router = createRouter([
      registerService(TestService, { unary: (r) => ({ text: r.text }) }),
    ]);
    const req = unaryRequest(kind, "hi");
    const res = await readResponse(await router.handle(req));
    assert.is(res.status, 200);
    assert.ok(res.text.includes("hi"));
    assert.is(req.signalReads, 0);
  });

  test(`${kind}: headers and trailers set by the handler go out; none set adds none`, async () => {
    const router = createRouter([
      registerService(TestService, {
        unary(r, ctx) {
          if (r.text === "set") {
            ctx.responseHeaders.set("x-h", "1");
            ctx.responseTrailers.set("x-t", "2");
          }
          return { text: r.text };
        },
      }),
    ]);
    const set = await router.handle(unaryRequest(kind, "set"));
    const plain = await router.handle(unaryRequest(kind, "plain"));
    const setBody = (await readResponse(set)).text;
    const plainBody = (await readResponse(plain)).text;
    assert.is(set.headers.get("x-h"), "1");
    assert.is(plain.headers.has("x-h"), false);
    if (kind === "connect") {
      assert.is(set.headers.get("trailer-x-t"), "2");
      assert.equal(
        [...plain.headers.keys()].filter((k) => k.startsWith("trailer-")),
        [],
      );
    } else if (kind === "grpc") {
      assert.is(set.trailers?.get("x-t"), "2");
      assert.is(set.trailers?.get("grpc-status"), "0");
      assert.equal(plain.trailers?.toRecord(), { "grpc-status": "0" });
    } else {
      assert.ok(setBody.includes("x-t: 2"));
      assert.ok(setBody.includes("grpc-status: 0"));
      assert.ok(plainBody.endsWith("grpc-status: 0\r\n"));
      assert.not.ok(plainBody.includes("x-t"));
    }
  });

  test(`${kind}: the handler's signal is the request's, aborted when the client goes away`, async () => {
    let seen: AbortSignal | undefined;
    let release: () => void = () => {};
    const router = createRouter([
      registerService(TestService, {
        async unary(r, ctx: HandlerContext) {
          seen = ctx.signal;
          await new Promise<void>((resolve) => {
            release = resolve;
          });
          return { text: r.text };
        },
      }),
    ]);
    const req = unaryRequest(kind, "x");
    const answer = router.handle(req);
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.is(seen, req.controller.signal);
    req.controller.abort(new ConnectError("gone", Code.Canceled));
    // The call answers at once, without waiting for the implementation.
    const res = await answer;
    release();
    const text = (await readResponse(res)).text;
    if (kind === "connect") assert.is(res.status, 499);
    else if (kind === "grpc") assert.is(grpcStatus(res), String(Code.Canceled));
    else assert.ok(text.includes(`grpc-status: ${Code.Canceled}`));
  });

  test(`${kind}: a deadline ends a slow unary call, and a signal read after it is already aborted`, async () => {
    let ctx: HandlerContext | undefined;
    const router = createRouter([
      registerService(TestService, {
        async unary(r, c) {
          ctx = c;
          await new Promise((resolve) => setTimeout(resolve, 200));
          return { text: r.text };
        },
      }),
    ]);
    const timeout = kind === "connect" ? { "connect-timeout-ms": "20" } : { "grpc-timeout": "20m" };
    const started = Date.now();
    const res = await router.handle(unaryRequest(kind, "x", timeout));
    assert.ok(Date.now() - started < 150);
    const text = (await readResponse(res)).text;
    if (kind === "connect") assert.is(res.status, 504);
    else if (kind === "grpc") assert.is(grpcStatus(res), String(Code.DeadlineExceeded));
    else assert.ok(text.includes(`grpc-status: ${Code.DeadlineExceeded}`));
    // The implementation never read its signal; reading it now finds it aborted, with the reason.
    const signal = ctx!.signal;
    assert.ok(signal.aborted);
    assert.instance(signal.reason, ConnectError);
    assert.is((signal.reason as ConnectError).code, Code.DeadlineExceeded);
  });

  test(`${kind}: interceptors see the same headers, trailers and signal as without`, async () => {
    const seen: string[] = [];
    const spy: Interceptor = (next) => async (req) => {
      seen.push(`signal:${req.signal.aborted}`);
      const res = await next(req);
      if (!res.stream) {
        seen.push(`header:${res.header.get("x-h")}`);
        res.trailer.set("x-added", "yes");
      }
      return res;
    };
    const router = createRouter(
      [
        registerService(TestService, {
          unary(r, ctx) {
            ctx.responseHeaders.set("x-h", "1");
            return { text: r.text };
          },
        }),
      ],
      { interceptors: [spy] },
    );
    const res = await router.handle(unaryRequest(kind, "x"));
    const text = (await readResponse(res)).text;
    assert.equal(seen, ["signal:false", "header:1"]);
    if (kind === "connect") assert.is(res.headers.get("trailer-x-added"), "yes");
    else if (kind === "grpc") assert.is(res.trailers?.get("x-added"), "yes");
    else assert.ok(text.includes("x-added: yes"));
  });
}

for (const kind of ["connect", "grpc", "grpc-web"] as const) {
  test(`${kind}: a held stream is watched through watchAbort, never through the request's signal`, async () => {
    let ctx: HandlerContext | undefined;
    const router = createRouter([
      registerService(TestService, {
        async *serverStream(r, c) {
          ctx = c;
          yield { text: r.text };
          await new Promise((resolve) => c.signal.addEventListener("abort", resolve));
          yield { text: "after the abort" };
        },
      }),
    ]);
    const req = streamRequest(kind, "first");
    const res = await router.handle(req);
    assert.is(res.status, 200);
    const body = res.body as AsyncIterable<Uint8Array>;
    const it = body[Symbol.asyncIterator]();
    const first = await it.next();
    assert.not.ok(first.done);
    assert.ok(new TextDecoder().decode(first.value).includes("first"));
    const pending = it.next();
    await new Promise((resolve) => setTimeout(resolve, 5));
    // The stream waits on the implementation, watching the request.
    assert.is(req.watches, 1);
    assert.is(req.signalReads, 0);
    req.abort(new ConnectError("gone", Code.Canceled));
    assert.ok(ctx!.signal.aborted);
    assert.is((ctx!.signal.reason as ConnectError).rawMessage, "gone");
    const chunks: Uint8Array[] = [];
    for (let r = await pending; !r.done; r = await it.next()) chunks.push(r.value);
    const rest = new TextDecoder().decode(
      chunks.length === 0 ? new Uint8Array(0) : chunks[chunks.length - 1],
    );
    assert.not.ok(rest.includes("after the abort"));
    if (kind === "connect") assert.ok(rest.includes('"code":"canceled"'));
    else if (kind === "grpc") assert.is(res.trailers?.get("grpc-status"), String(Code.Canceled));
    else assert.ok(rest.includes(`grpc-status: ${Code.Canceled}`));
    // The call let go of the request.
    assert.is(req.watcher, undefined);
    assert.is(req.signalReads, 0);
  });

  test(`${kind}: a consumer that stops reading cancels the call and closes the implementation`, async () => {
    let ctx: HandlerContext | undefined;
    let closed = false;
    const router = createRouter([
      registerService(TestService, {
        async *serverStream(r, c) {
          ctx = c;
          try {
            for (let i = 0; ; i++) yield { text: `${r.text} ${i}` };
          } finally {
            closed = true;
          }
        },
      }),
    ]);
    const req = streamRequest(kind, "n");
    const res = await router.handle(req);
    const it = (res.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    assert.not.ok((await it.next()).done);
    assert.not.ok((await it.next()).done);
    assert.ok((await it.return!()).done);
    assert.ok((await it.next()).done);
    assert.ok(ctx!.signal.aborted);
    assert.is((ctx!.signal.reason as ConnectError).code, Code.Canceled);
    assert.is(req.watcher, undefined);
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.ok(closed);
  });

  test(`${kind}: a stream that ends by itself stops watching the request`, async () => {
    const router = createRouter([
      registerService(TestService, {
        async *serverStream(r) {
          yield { text: r.text };
          await new Promise((resolve) => setTimeout(resolve, 1));
          yield { text: "two" };
        },
      }),
    ]);
    const req = streamRequest(kind, "one");
    const res = await readResponse(await router.handle(req));
    assert.ok(res.text.includes("one") && res.text.includes("two"));
    assert.is(req.watches, 1);
    assert.is(req.unwatches, 1);
    assert.is(req.watcher, undefined);
    assert.is(req.signalReads, 0);
  });

  test(`${kind}: a stream implementation may yield plain objects, or return a plain iterable`, async () => {
    const router = createRouter([
      registerService(TestService, {
        serverStream: ((r: { text: string }) => [
          { text: `${r.text}-a` },
          { text: `${r.text}-b` },
        ]) as unknown as () => AsyncIterable<{ text: string }>,
        bidi: async function* (requests) {
          for await (const r of requests) yield { text: `echo ${r.text}` };
        },
      }),
    ]);
    const res = await readResponse(await router.handle(streamRequest(kind, "x")));
    assert.ok(res.text.includes("x-a") && res.text.includes("x-b"));
    const type = streamRequest(kind, "y").headers.get("content-type")!;
    const bidi = new WatchingRequest(
      `${P}/Bidi`,
      { "content-type": type },
      encodeEnvelope(0, utf8.encode(JSON.stringify({ text: "y" }))),
    );
    const echoed = await readResponse(await router.handle(bidi));
    assert.ok(echoed.text.includes("echo y"));
  });
}

test("HandlerSignal: an end before the signal is read gives a signal born aborted with its reason", () => {
  const req = { signal: new AbortController().signal };
  const call = new HandlerSignal(req, undefined, true);
  const reason = new ConnectError("stopped reading", Code.Canceled);
  call.abort(reason);
  call.abort(new ConnectError("later", Code.Internal));
  assert.ok(call.signal.aborted);
  assert.is(call.signal.reason, reason);
  call.cleanup();
});

test("HandlerSignal: the request's abort reaches a signal read before and one read after", async () => {
  const parent = new AbortController();
  const before = new HandlerSignal(parent, undefined, true);
  const early = before.signal;
  const after = new HandlerSignal(parent, undefined, true);
  parent.abort(new ConnectError("gone", Code.Canceled));
  assert.ok(early.aborted);
  assert.is((early.reason as ConnectError).rawMessage, "gone");
  assert.ok(after.signal.aborted);
  assert.is((after.signal.reason as ConnectError).rawMessage, "gone");
  // A plain reason becomes a canceled ConnectError.
  const p2 = new AbortController();
  const c2 = new HandlerSignal(p2, undefined, true);
  p2.abort("bye");
  assert.is((c2.signal.reason as ConnectError).code, Code.Canceled);
});

test("HandlerSignal: a unary call without a timeout uses the request's signal and cannot abort it", () => {
  const parent = new AbortController();
  const call = new HandlerSignal(parent, undefined, false);
  assert.is(call.signal, parent.signal);
  call.abort(new ConnectError("no", Code.Internal));
  assert.not.ok(parent.signal.aborted);
});

test("HandlerSignal: race follows the request's signal, raceOwn only the call's own ends", async () => {
  const parent = new AbortController();
  const call = new HandlerSignal(parent, 30, false);
  const never = new Promise<never>(() => {});
  const own = call.raceOwn(never).catch((e: ConnectError) => e);
  const err = await own;
  assert.is(err.code, Code.DeadlineExceeded);
  assert.ok(call.signal.aborted);
  call.cleanup();

  const p2 = new AbortController();
  const c2 = new HandlerSignal(p2, undefined, false);
  const raced = c2.race(never).catch((e: ConnectError) => e);
  p2.abort(new ConnectError("gone", Code.Canceled));
  assert.is((await raced).code, Code.Canceled);
  c2.cleanup();
  // Without a timeout, a unary call's own wait is the promise itself.
  const settled = Promise.resolve(1);
  assert.is(new HandlerSignal(new AbortController(), undefined, false).raceOwn(settled), settled);
});

test("HandlerSignal: no timer without a timeout, and cleanup leaves no listener", async () => {
  const parent = new AbortController();
  const call = new HandlerSignal(parent, undefined, true);
  void call.signal;
  assert.is(getEventListeners(parent.signal, "abort").length, 1);
  await call.race(Promise.resolve(1));
  call.cleanup();
  assert.is(getEventListeners(parent.signal, "abort").length, 0);
  // A signal first read after the call ended does not attach to the request.
  const late = new HandlerSignal(parent, 1000, true);
  late.cleanup();
  void late.signal;
  assert.is(getEventListeners(parent.signal, "abort").length, 0);
});

test("HandlerSignal: a request that can be watched is, without its signal or a listener", () => {
  const req = new WatchingRequest(`${P}/ServerStream`, {}, new Uint8Array(0));
  const call = new HandlerSignal(req, undefined, true);
  const signal = call.signal;
  assert.is(req.signalReads, 0);
  assert.is(req.watcher, call);
  assert.is(getEventListeners(req.controller.signal, "abort").length, 0);
  req.abort("bye");
  assert.ok(signal.aborted);
  assert.is((signal.reason as ConnectError).code, Code.Canceled);
  assert.is(call.reason, signal.reason);
  call.cleanup();
  // Already aborted when first watched: the call ends with the request's reason.
  const gone = new WatchingRequest(`${P}/ServerStream`, {}, new Uint8Array(0));
  gone.controller.abort(new ConnectError("gone", Code.Unavailable));
  const late = new HandlerSignal(gone, undefined, true);
  assert.is(late.reason?.code, Code.Unavailable);
  assert.is(gone.watcher, undefined);
  // Cleanup stops watching; a watcher told after that changes nothing.
  const ended = new WatchingRequest(`${P}/ServerStream`, {}, new Uint8Array(0));
  const done = new HandlerSignal(ended, undefined, true);
  void done.signal;
  done.cleanup();
  assert.is(ended.watcher, undefined);
  done.requestAborted("late");
  assert.is(done.ended, undefined);
});

test.run();
