// Calls every generated client method and implements every generated service
// method, so the type test proves the generated code is usable as written in
// its TSDoc under `--strict`. Never run: only compiled.
import type {
  HandlerContext,
  ServiceRegistration,
  StreamOutput,
  Transport,
  UnaryOutput,
} from "@connect-ts/protocol";
import { ConnectError, Code } from "@connect-ts/protocol";
import { create } from "@bufbuild/protobuf";
import { EmptySchema } from "@bufbuild/protobuf/wkt";
import {
  EmptyServiceClient,
  emptyService,
  KindsServiceClient,
  type KindsServiceImplementation,
  kindsService,
  LegacyServiceClient,
  legacyService,
} from "../golden/ts/example/v1/kinds_connect.js";
import {
  PingRequestSchema,
  type PingRequest,
  type PingResponse,
} from "../golden/ts/example/v1/kinds_pb.js";
import {
  ClashServiceClient,
  type ClashServiceImplementation,
  clashService,
  DeleteClient,
  delete$,
} from "../golden/ts/example/v1/clash_connect.js";
import type {
  ClashRequest,
  ClashServiceClient as ClashServiceClientMessage,
} from "../golden/ts/example/v1/clash_pb.js";
import {
  ItemServiceClient,
  type ItemServiceImplementation,
  itemService,
} from "../golden/ts/example/nested/deep/v2/item_service_connect.js";
import type { Item, Item_Label } from "../golden/ts/example/nested/deep/v2/items_pb.js";
import type { Page } from "../golden/ts/example/common/v1/common_pb.js";
import {
  EditionsServiceClient,
  editionsService,
} from "../golden/ts/example/v1/editions_connect.js";
import { KindsServiceClient as DeclaredKindsClient } from "../golden/js-dts/example/v1/kinds_connect.js";
import { itemService as declaredItemService } from "../golden/js-dts/example/nested/deep/v2/item_service_connect.js";

declare const transport: Transport;

async function* pings(n: number): AsyncGenerator<{ text: string }> {
  for (let i = 0; i < n; i++) {
    yield { text: `ping ${i}` };
  }
}

export async function useKinds(): Promise<string[]> {
  const client = new KindsServiceClient(transport, { protocol: "grpc", codec: "json" });
  const seen: string[] = [];
  const a: PingResponse = await client.ping(
    { text: "a" },
    { timeoutMs: 100, headers: { "x-a": "1" } },
  );
  const b: PingResponse = await client.put(create(PingRequestSchema, { count: 2 }));
  seen.push(a.text, b.text);
  for await (const r of client.count({ text: "c" }, { signal: AbortSignal.timeout(10) })) {
    seen.push(r.text);
  }
  const c: PingResponse = await client.collect(pings(3));
  const c2: PingResponse = await client.collect([{ text: "sync" }, create(PingRequestSchema)]);
  seen.push(c.text, c2.text);
  for await (const r of client.chat(pings(2))) {
    seen.push(r.text);
  }
  const old: PingResponse = await client.old({});
  const undocumented: PingResponse = await client.undocumented({});
  const trailing: PingResponse = await client.trailing({});
  seen.push(old.text, undocumented.text, trailing.text);

  const u: UnaryOutput<PingResponse> = await client.callPing({ text: "low" });
  if (u.error === undefined && u.message !== undefined) {
    seen.push(u.message.text, u.headers.get("x") ?? "", u.trailers.get("y") ?? "");
  } else {
    seen.push(u.error?.code === Code.NotFound ? "missing" : "other");
  }
  await client.callPut({});
  await client.callCollect(pings(1));
  await client.callOld({});
  await client.callUndocumented({});
  await client.callTrailing({});
  const s: StreamOutput<PingResponse> = client.callCount({});
  for await (const r of s) {
    seen.push(r.text);
  }
  seen.push(s.error?.message ?? "", s.trailers.get("z") ?? "");
  {
    await using chat = client.callChat([{ text: "bidi" }]);
    seen.push((await chat.responseHeaders()).get("h") ?? "");
  }

  const legacy = new LegacyServiceClient(transport);
  seen.push((await legacy.ping({})).text, (await legacy.callPing({})).message?.text ?? "");

  seen.push(String(new EmptyServiceClient(transport, {}) instanceof EmptyServiceClient));
  const declared = new DeclaredKindsClient(transport);
  seen.push((await declared.ping({ text: "from declarations" })).text);
  return seen;
}

export async function useEditions(): Promise<string[]> {
  const client = new EditionsServiceClient(transport);
  const out: string[] = [(await client.echo({ text: "e" })).text];
  out.push((await client.callEcho({})).message?.text ?? "");
  for await (const r of client.watch({ count: 1 })) {
    out.push(r.text);
  }
  for await (const r of client.callWatch({})) {
    out.push(r.text);
  }
  return out;
}

export async function useClashes(): Promise<unknown[]> {
  const client = new ClashServiceClient(transport);
  const r: ClashRequest = await client.constructor$({});
  const out: unknown[] = [r];
  out.push(await client.callConstructor({}));
  out.push(await client.delete({}), await client.callDelete({}));
  out.push(await client.then$({}), await client.callThen({}));
  out.push(await client.toString$({}), await client.callToString({}));
  out.push(await client.valueOf$({}), await client.callValueOf({}));
  for await (const m of client.class({})) {
    out.push(m);
  }
  out.push(client.callClass({}));
  out.push(await client.say({}), await client.callSay$({}));
  const message: ClashServiceClientMessage = await client.callSay({});
  const low: UnaryOutput<ClashServiceClientMessage> = await client.callCallSay({});
  out.push(message, low);
  // The client is not a thenable: awaiting it gives the client itself.
  const same: ClashServiceClient = await Promise.resolve(client);
  out.push(same);
  out.push(await client.runtime({}), await client.callRuntime({}));
  for await (const t of client.stream([{}])) {
    out.push(t);
  }
  out.push(client.callStream([]));
  const del = new DeleteClient(transport);
  out.push(await del.delete({}), await del.callDelete({}));
  return out;
}

export async function useItems(): Promise<unknown[]> {
  const client = new ItemServiceClient(transport);
  const out: unknown[] = [];
  for await (const item of client.listItems({ page: { size: 10, token: "" } })) {
    const i: Item = item;
    out.push(i.labels.map((l: Item_Label) => l.key));
  }
  out.push(client.callListItems({}));
  const label: Item_Label = await client.getLabel({ key: "k", value: "v" });
  const page: Page = await client.next({});
  await client.next(create(EmptySchema));
  const uploaded = await client.upload([{ id: "1" }, { id: "2", labels: [{ key: "a" }] }]);
  out.push(label, page, uploaded, await client.callGetLabel({}), await client.callNext({}));
  out.push(await client.callUpload((async function* () {})()));
  return out;
}

/** An implementation written as a class, with every method. */
export class Kinds implements KindsServiceImplementation {
  ping(request: PingRequest, context: HandlerContext) {
    context.responseHeaders.set("x-seen", context.requestHeaders.get("x-a") ?? "");
    return { text: request.text };
  }
  async put(request: PingRequest) {
    return { text: `${request.count}` };
  }
  async *count(request: PingRequest, context: HandlerContext) {
    for (let i = 0; i < request.count && !context.signal.aborted; i++) {
      yield { text: `${i}` };
    }
    context.responseTrailers.set("x-count", String(request.count));
  }
  async collect(requests: AsyncIterable<PingRequest>) {
    let text = "";
    for await (const r of requests) {
      text += r.text;
    }
    return { text };
  }
  async *chat(requests: AsyncIterable<PingRequest>, context: HandlerContext) {
    for await (const r of requests) {
      if (context.timeRemaining() === 0) {
        throw new ConnectError("too late", Code.DeadlineExceeded);
      }
      yield { text: r.text };
    }
  }
  old() {
    return {};
  }
  undocumented() {
    return Promise.resolve({ text: "u" });
  }
  trailing(_request: PingRequest, context: HandlerContext) {
    return { text: String(context.deadline ?? "none") };
  }
}

export const registrations: ServiceRegistration[] = [
  kindsService(new Kinds()),
  // Partial implementations are fine: the rest answer `unimplemented`.
  kindsService({ ping: (req) => ({ text: req.text }) }),
  legacyService({}),
  emptyService({}),
  editionsService({
    echo: (request) => ({ text: request.text }),
    async *watch(request, context) {
      yield { text: `${request.count} ${context.requestHeaders.get("x") ?? ""}` };
    },
  }),
  clashService({
    constructor$: () => ({}),
    delete: () => ({}),
    // biome-ignore lint/suspicious/noThenProperty: the RPC is called Then, and the runtime looks its implementation up under that name.
    then: () => ({}),
    toString$: () => ({}),
    valueOf$: () => ({}),
    async *class() {
      yield {};
    },
    say: () => ({}),
    callSay: async () => ({}),
    runtime: () => ({}),
    async *stream(requests) {
      for await (const _ of requests) {
        yield {};
      }
    },
  } satisfies ClashServiceImplementation),
  delete$({ delete: (r) => r }),
  itemService({
    async *listItems(request) {
      yield { id: String(request.page?.size ?? 0) };
    },
    getLabel: (label) => label,
    next: () => ({ size: 1 }),
    async upload(items) {
      for await (const item of items) {
        void item.id;
      }
      return {};
    },
  } satisfies ItemServiceImplementation),
  declaredItemService({ next: () => ({ token: "t" }) }),
];

// What must not compile: each line below is an error the generated types catch.
export async function misuse(client: KindsServiceClient): Promise<void> {
  // @ts-expect-error a field that does not exist in the request
  await client.ping({ nope: 1 });
  // @ts-expect-error a field of the wrong type
  await client.ping({ count: "2" });
  // @ts-expect-error a single request where a stream is expected
  await client.collect({ text: "x" });
  // @ts-expect-error a stream where a single request is expected
  client.count([{ text: "x" }]);
  // @ts-expect-error the response is a message, not a string
  const s: string = await client.ping({});
  void s;
  // @ts-expect-error an unknown call option
  await client.ping({}, { timeout: 5 });
  kindsService({
    // @ts-expect-error a unary implementation must not return a stream
    async *ping() {
      yield { text: "x" };
    },
  });
  kindsService({
    // @ts-expect-error the response has no such field
    put: () => ({ sentence: "x" }),
  });
  // @ts-expect-error no RPC of that name
  kindsService({ pong: () => ({}) });
  clashService({
    // @ts-expect-error a message of another type, even one with no fields, is not the response
    runtime: (request) => request,
  });
}
