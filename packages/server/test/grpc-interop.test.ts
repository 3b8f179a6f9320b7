import { gunzipSync, gzipSync } from "node:zlib";
import {
  create,
  fromBinary,
  type DescMessage,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import {
  Code,
  type Compression,
  ConnectError,
  RpcClient,
  type HandlerContext,
  Metadata,
  type Protocol,
  registerService,
} from "@connect-ts/protocol";
import { createHttp2Transport } from "@connect-ts/transport-http2";
import * as grpc from "@grpc/grpc-js";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { type ConnectServer, listen } from "../src/index.js";
import {
  ChatRequestSchema,
  ChatResponseSchema,
  CountRequestSchema,
  CountResponseSchema,
  EchoRequestSchema,
  EchoResponseSchema,
  SumRequestSchema,
  SumResponseSchema,
  TestService,
} from "./gen/servertest/v1/test_pb.js";

// gRPC against a real peer, over real loopback sockets: @grpc/grpc-js clients
// against our server on h2c, and our client on the HTTP/2 transport against a
// grpc-js server. gRPC-Web, which grpc-js does not speak, runs our client
// against our server over the same sockets.

/** gzip on node:zlib, bounded, for negotiation with grpc-js. */
const gzip: Compression = {
  name: "gzip",
  async compress(data) {
    return new Uint8Array(gzipSync(data));
  },
  async decompress(data, maxBytes) {
    try {
      return new Uint8Array(gunzipSync(data, { maxOutputLength: Math.max(1, maxBytes) }));
    } catch (e) {
      if ((e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
        throw new ConnectError(`decompressed size exceeds ${maxBytes}`, Code.ResourceExhausted);
      }
      throw new ConnectError("invalid gzip data", Code.InvalidArgument, { cause: e });
    }
  },
};

/** The server's gzip, counting its uses so tests can see both directions were compressed. */
const uses = { compress: 0, decompress: 0 };
const serverGzip: Compression = {
  name: "gzip",
  compress(data) {
    uses.compress++;
    return gzip.compress(data);
  },
  decompress(data, maxBytes) {
    uses.decompress++;
    return gzip.decompress(data, maxBytes);
  },
};

const P = "/servertest.v1.TestService";
const M = TestService.method;
const seenDeadlines: (number | undefined)[] = [];

function echoHeaders(ctx: HandlerContext): void {
  const v = ctx.requestHeaders.get("x-echo");
  if (v !== undefined) ctx.responseHeaders.set("x-echo", v);
  const bin = ctx.requestHeaders.getBinary("x-blob-bin");
  if (bin !== undefined) ctx.responseTrailers.appendBinary("x-blob-bin", bin);
  ctx.responseTrailers.set("x-trailer", "t");
}

/** Our implementation: fails with details when asked, records the deadlines it saw. */
const ours = registerService(TestService, {
  async echo(req, ctx) {
    echoHeaders(ctx);
    seenDeadlines.push(ctx.timeRemaining());
    if (req.delayMs > 0) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, req.delayMs);
        ctx.signal.addEventListener(
          "abort",
          () => {
            clearTimeout(timer);
            reject(ctx.signal.reason);
          },
          { once: true },
        );
      });
    }
    if (req.failCode !== 0) {
      throw new ConnectError(`failed: ${req.text}`, req.failCode as Code, {
        metadata: { "x-failed": "yes" },
        details: [{ desc: StringValueSchema, value: { value: "why" } }],
      });
    }
    return { text: req.text, payload: req.payload };
  },
  async *count(req, ctx) {
    echoHeaders(ctx);
    for (let i = 1; i <= req.count; i++) yield { number: i };
    if (req.failCode !== 0) throw new ConnectError("after the messages", req.failCode as Code);
  },
  async sum(reqs) {
    let sum = 0n;
    let messages = 0;
    for await (const r of reqs) {
      sum += r.number;
      messages++;
    }
    return { sum, messages };
  },
  async *chat(reqs, ctx) {
    echoHeaders(ctx);
    for await (const r of reqs) {
      if (r.text === "fail") throw new ConnectError("asked to fail", Code.Aborted);
      yield { text: `re: ${r.text}` };
    }
  },
});

function ser<D extends DescMessage>(desc: D) {
  return (m: MessageShape<D>) => Buffer.from(toBinary(desc, m));
}
function de<D extends DescMessage>(desc: D) {
  return (b: Buffer) => fromBinary(desc, b);
}

interface GrpcJsUnary<T> {
  response: T | undefined;
  error: grpc.ServiceError | undefined;
  headers: grpc.Metadata;
  status: grpc.StatusObject;
}

/** A grpc-js unary call, settled when its status arrives. */
function grpcJsUnary<T>(
  start: (cb: (err: grpc.ServiceError | null, res?: T) => void) => grpc.ClientUnaryCall,
): Promise<GrpcJsUnary<T>> {
  return new Promise((resolve) => {
    let headers = new grpc.Metadata();
    let response: T | undefined;
    let error: grpc.ServiceError | undefined;
    let done = 0;
    let status!: grpc.StatusObject;
    const finish = () => {
      if (++done === 2) resolve({ response, error, headers, status });
    };
    const call = start((err, res) => {
      error = err ?? undefined;
      response = res;
      finish();
    });
    call.on("metadata", (m) => {
      headers = m;
    });
    call.on("status", (s) => {
      status = s;
      finish();
    });
  });
}

async function withOurServer(
  fn: (server: ConnectServer, client: grpc.Client) => Promise<void>,
  clientOptions: grpc.ClientOptions = {},
): Promise<void> {
  const server = await listen([ours], {
    host: "127.0.0.1",
    httpVersion: "2",
    compression: [serverGzip],
  });
  const client = new grpc.Client(
    `127.0.0.1:${server.port}`,
    grpc.credentials.createInsecure(),
    clientOptions,
  );
  try {
    await fn(server, client);
  } finally {
    client.close();
    await server.close();
  }
}

test("grpc-js client -> our server: unary with headers, trailers and -bin metadata", async () => {
  await withOurServer(async (_, client) => {
    const md = new grpc.Metadata();
    md.set("x-echo", "hello");
    md.set("x-blob-bin", Buffer.from([0, 1, 254, 255]));
    const out = await grpcJsUnary<MessageShape<typeof EchoResponseSchema>>((cb) =>
      client.makeUnaryRequest(
        `${P}/Echo`,
        ser(EchoRequestSchema),
        de(EchoResponseSchema),
        create(EchoRequestSchema, { text: "hi", payload: new Uint8Array([7]) }),
        md,
        {},
        cb,
      ),
    );
    assert.is(out.error, undefined);
    assert.is(out.response?.text, "hi");
    assert.equal([...(out.response?.payload ?? [])], [7]);
    assert.is(out.status.code, grpc.status.OK);
    assert.equal(out.headers.get("x-echo"), ["hello"]);
    assert.equal(out.status.metadata.get("x-trailer"), ["t"]);
    assert.equal([...(out.status.metadata.get("x-blob-bin")[0] as Buffer)], [0, 1, 254, 255]);
  });
});

test("grpc-js client -> our server: errors carry code, message, metadata and details", async () => {
  await withOurServer(async (_, client) => {
    const out = await grpcJsUnary((cb) =>
      client.makeUnaryRequest(
        `${P}/Echo`,
        ser(EchoRequestSchema),
        de(EchoResponseSchema),
        create(EchoRequestSchema, { text: "nö 100%", failCode: Code.PermissionDenied }),
        new grpc.Metadata(),
        {},
        cb,
      ),
    );
    assert.is(out.error?.code, grpc.status.PERMISSION_DENIED);
    assert.is(out.error?.details, "failed: nö 100%");
    assert.equal(out.status.metadata.get("x-failed"), ["yes"]);
    const bin = out.status.metadata.get("grpc-status-details-bin")[0] as Buffer;
    assert.ok(bin !== undefined && bin.length > 0, "status details sent");
    // google.rpc.Status: field 1 code, 2 message, 3 details (Any with the StringValue).
    assert.ok(bin.includes(Buffer.from("type.googleapis.com/google.protobuf.StringValue")));
    const unimplemented = await grpcJsUnary((cb) =>
      client.makeUnaryRequest(
        "/servertest.v1.TestService/Nope",
        ser(EchoRequestSchema),
        de(EchoResponseSchema),
        create(EchoRequestSchema, {}),
        new grpc.Metadata(),
        {},
        cb,
      ),
    );
    assert.is(unimplemented.error?.code, grpc.status.UNIMPLEMENTED);
  });
});

test("grpc-js client -> our server: server stream, client stream and bidi", async () => {
  await withOurServer(async (_, client) => {
    const numbers: number[] = [];
    const stream = client.makeServerStreamRequest(
      `${P}/Count`,
      ser(CountRequestSchema),
      de(CountResponseSchema),
      create(CountRequestSchema, { count: 3, failCode: Code.DataLoss }),
    );
    const status = await new Promise<grpc.StatusObject>((resolve) => {
      stream.on("data", (r: MessageShape<typeof CountResponseSchema>) => numbers.push(r.number));
      stream.on("error", () => {});
      stream.on("status", resolve);
    });
    assert.equal(numbers, [1, 2, 3]);
    assert.is(status.code, grpc.status.DATA_LOSS);
    assert.is(status.details, "after the messages");

    const sum = await new Promise<MessageShape<typeof SumResponseSchema>>((resolve, reject) => {
      const call = client.makeClientStreamRequest(
        `${P}/Sum`,
        ser(SumRequestSchema),
        de(SumResponseSchema),
        (err, res) => (err ? reject(err) : resolve(res!)),
      );
      for (const n of [1n, 2n, 39n]) call.write(create(SumRequestSchema, { number: n }));
      call.end();
    });
    assert.is(sum.sum, 42n);
    assert.is(sum.messages, 3);

    // Full duplex: each answer arrives before the next message is written.
    const chat = client.makeBidiStreamRequest(
      `${P}/Chat`,
      ser(ChatRequestSchema),
      de(ChatResponseSchema),
    );
    const answers: string[] = [];
    const ended = new Promise<grpc.StatusObject>((resolve) => chat.on("status", resolve));
    for (const text of ["a", "b", "c"]) {
      const next = new Promise<string>((resolve) =>
        chat.once("data", (r: MessageShape<typeof ChatResponseSchema>) => resolve(r.text)),
      );
      chat.write(create(ChatRequestSchema, { text }));
      answers.push(await next);
    }
    chat.end();
    assert.equal(answers, ["re: a", "re: b", "re: c"]);
    assert.is((await ended).code, grpc.status.OK);
  });
});

test("grpc-js client -> our server: deadlines reach the handler and end the call", async () => {
  await withOurServer(async (_, client) => {
    const out = await grpcJsUnary((cb) =>
      client.makeUnaryRequest(
        `${P}/Echo`,
        ser(EchoRequestSchema),
        de(EchoResponseSchema),
        create(EchoRequestSchema, { text: "slow", delayMs: 5000 }),
        new grpc.Metadata(),
        { deadline: Date.now() + 150 },
        cb,
      ),
    );
    assert.is(out.error?.code, grpc.status.DEADLINE_EXCEEDED);
    const remaining = seenDeadlines.at(-1);
    assert.ok(remaining !== undefined && remaining > 0 && remaining <= 150, String(remaining));
  });
});

test("grpc-js client -> our server: gzip both ways", async () => {
  await withOurServer(
    async (_, client) => {
      const text = "g".repeat(5000);
      const before = { ...uses };
      const out = await grpcJsUnary<MessageShape<typeof EchoResponseSchema>>((cb) =>
        client.makeUnaryRequest(
          `${P}/Echo`,
          ser(EchoRequestSchema),
          de(EchoResponseSchema),
          create(EchoRequestSchema, { text }),
          new grpc.Metadata(),
          {},
          cb,
        ),
      );
      assert.is(out.error, undefined);
      assert.is(out.response?.text, text);
      // grpc-js hides grpc-encoding; the server's codec shows it ran both ways.
      assert.is(uses.decompress - before.decompress, 1, "request was gzip");
      assert.is(uses.compress - before.compress, 1, "response was gzip");
    },
    { "grpc.default_compression_algorithm": grpc.compressionAlgorithms.gzip },
  );
});

/** A grpc-js server of the test service, for our client to call. */
async function startGrpcJsServer(): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server({ "grpc.default_compression_algorithm": 2 });
  const method = <I extends DescMessage, O extends DescMessage>(
    name: string,
    input: I,
    output: O,
    requestStream: boolean,
    responseStream: boolean,
  ) => ({
    path: `${P}/${name}`,
    requestStream,
    responseStream,
    requestSerialize: ser(input),
    requestDeserialize: de(input),
    responseSerialize: ser(output),
    responseDeserialize: de(output),
  });
  const definition = {
    Echo: method("Echo", EchoRequestSchema, EchoResponseSchema, false, false),
    Count: method("Count", CountRequestSchema, CountResponseSchema, false, true),
    Sum: method("Sum", SumRequestSchema, SumResponseSchema, true, false),
    Chat: method("Chat", ChatRequestSchema, ChatResponseSchema, true, true),
  };
  const trailers = () => {
    const t = new grpc.Metadata();
    t.set("x-trailer", "t");
    return t;
  };
  server.addService(definition as unknown as grpc.ServiceDefinition, {
    Echo(
      call: grpc.ServerUnaryCall<MessageShape<typeof EchoRequestSchema>, unknown>,
      callback: grpc.sendUnaryData<MessageShape<typeof EchoResponseSchema>>,
    ) {
      const req = call.request;
      const headers = new grpc.Metadata();
      const echo = call.metadata.get("x-echo")[0];
      if (echo !== undefined) headers.set("x-echo", echo);
      call.sendMetadata(headers);
      const finish = () => {
        if (req.failCode !== 0) {
          const md = trailers();
          md.set("x-failed", "yes");
          md.set("grpc-status-details-bin", Buffer.from(rpcStatus(req.failCode, req.text)));
          callback({ code: req.failCode, details: req.text, metadata: md });
          return;
        }
        const deadline = call.getDeadline();
        const at = deadline instanceof Date ? deadline.getTime() : deadline;
        const left = Number.isFinite(at) ? at - Date.now() : -1;
        callback(
          null,
          create(EchoResponseSchema, { text: req.text, timeRemainingMs: BigInt(Math.round(left)) }),
          trailers(),
        );
      };
      if (req.delayMs > 0) {
        const timer = setTimeout(finish, req.delayMs);
        call.on("cancelled", () => clearTimeout(timer));
      } else finish();
    },
    Count(call: grpc.ServerWritableStream<MessageShape<typeof CountRequestSchema>, unknown>) {
      for (let i = 1; i <= call.request.count; i++) {
        call.write(create(CountResponseSchema, { number: i }));
      }
      if (call.request.failCode !== 0) {
        call.emit("error", { code: call.request.failCode, details: "after the messages" });
      } else call.end(trailers());
    },
    Sum(
      call: grpc.ServerReadableStream<MessageShape<typeof SumRequestSchema>, unknown>,
      callback: grpc.sendUnaryData<MessageShape<typeof SumResponseSchema>>,
    ) {
      let sum = 0n;
      let messages = 0;
      call.on("data", (r: MessageShape<typeof SumRequestSchema>) => {
        sum += r.number;
        messages++;
      });
      call.on("end", () => callback(null, create(SumResponseSchema, { sum, messages })));
    },
    Chat(call: grpc.ServerDuplexStream<MessageShape<typeof ChatRequestSchema>, unknown>) {
      call.on("data", (r: MessageShape<typeof ChatRequestSchema>) =>
        call.write(create(ChatResponseSchema, { text: `re: ${r.text}` })),
      );
      call.on("end", () => call.end(trailers()));
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return { server, port };
}

/** A google.rpc.Status with one StringValue detail, as a grpc-js server would send it. */
function rpcStatus(code: number, message: string): Uint8Array {
  const w = new BinaryWriter();
  w.tag(1, WireType.Varint).int32(code);
  w.tag(2, WireType.LengthDelimited).string(message);
  w.tag(3, WireType.LengthDelimited).fork();
  w.tag(1, WireType.LengthDelimited).string("type.googleapis.com/google.protobuf.StringValue");
  w.tag(2, WireType.LengthDelimited).bytes(
    toBinary(StringValueSchema, { $typeName: "google.protobuf.StringValue", value: "why" }),
  );
  w.join();
  return w.finish();
}

test("our client -> grpc-js server: every call kind, metadata, errors with details, deadlines, gzip", async () => {
  const { server, port } = await startGrpcJsServer();
  const transport = createHttp2Transport({ baseUrl: `http://127.0.0.1:${port}` });
  try {
    for (const compression of [undefined, { send: gzip, accept: [gzip], minBytes: 0 }]) {
      const client = new RpcClient(transport, { protocol: "grpc", compression });
      const out = await client.callUnary(M.echo, { text: "hi" }, { headers: { "x-echo": "e" } });
      assert.is(out.error, undefined);
      assert.is(out.message?.text, "hi");
      assert.is(out.headers.get("x-echo"), "e");
      assert.is(out.trailers.get("x-trailer"), "t");
      assert.is(out.trailers.get("grpc-status"), undefined);
      const big = "b".repeat(4000);
      assert.is((await client.unary(M.echo, { text: big })).text, big);

      const failed = await client.callUnary(M.echo, { text: "nö 100%", failCode: Code.NotFound });
      assert.is(failed.error?.code, Code.NotFound);
      assert.is(failed.error?.rawMessage, "nö 100%");
      assert.is(failed.error?.metadata.get("x-failed"), "yes");
      assert.is(failed.error?.findDetails(StringValueSchema)[0]?.value, "why");

      const numbers: number[] = [];
      for await (const r of client.serverStream(M.count, { count: 3 })) numbers.push(r.number);
      assert.equal(numbers, [1, 2, 3]);
      const s = client.callServerStream(M.count, { count: 2, failCode: Code.ResourceExhausted });
      let n = 0;
      for await (const _ of s) n++;
      assert.is(n, 2);
      assert.is(s.error?.code, Code.ResourceExhausted);

      const sum = await client.clientStream(M.sum, [{ number: 5n }, { number: 6n }]);
      assert.is(sum.sum, 11n);
      const chat: string[] = [];
      for await (const r of client.bidiStream(M.chat, [{ text: "x" }, { text: "y" }]))
        chat.push(r.text);
      assert.equal(chat, ["re: x", "re: y"]);
    }
    const client = new RpcClient(transport, { protocol: "grpc" });
    const timed = await client.unary(M.echo, { text: "t" }, { timeoutMs: 5000 });
    assert.ok(
      timed.timeRemainingMs > 3000n && timed.timeRemainingMs <= 5000n,
      String(timed.timeRemainingMs),
    );
    const started = Date.now();
    const slow = await client.callUnary(
      M.echo,
      { text: "slow", delayMs: 3000 },
      { timeoutMs: 100 },
    );
    assert.is(slow.error?.code, Code.DeadlineExceeded);
    assert.ok(Date.now() - started < 1500);
  } finally {
    await transport.close();
    server.forceShutdown();
  }
});

for (const protocol of ["grpc", "grpc-web"] as Protocol[]) {
  test(`our client -> our server over h2c sockets, ${protocol}: every call kind and errors`, async () => {
    const server = await listen([ours], {
      host: "127.0.0.1",
      httpVersion: "2",
      compression: [gzip],
    });
    const transport = createHttp2Transport({ baseUrl: server.url });
    try {
      for (const codec of ["proto", "json"] as const) {
        const client = new RpcClient(transport, {
          protocol,
          codec,
          compression: { send: gzip, accept: [gzip], minBytes: 100 },
        });
        const big = "w".repeat(3000);
        const out = await client.callUnary(
          M.echo,
          { text: big },
          {
            headers: new Metadata({ "x-echo": "1" }).appendBinary(
              "x-blob-bin",
              new Uint8Array([9, 8]),
            ),
          },
        );
        assert.is(out.message?.text, big);
        assert.is(out.headers.get("x-echo"), "1");
        assert.equal([...(out.trailers.getBinary("x-blob-bin") ?? [])], [9, 8]);
        const failed = await client.callUnary(M.echo, {
          text: "f",
          failCode: Code.Unauthenticated,
        });
        assert.is(failed.error?.code, Code.Unauthenticated);
        assert.is(failed.error?.findDetails(StringValueSchema)[0]?.value, "why");
        assert.is(failed.trailers.get("x-trailer"), "t");
        const numbers: number[] = [];
        for await (const r of client.serverStream(M.count, { count: 4 })) numbers.push(r.number);
        assert.equal(numbers, [1, 2, 3, 4]);
        assert.is((await client.clientStream(M.sum, [{ number: 1n }, { number: 2n }])).sum, 3n);
        const chat = client.callBidiStream(M.chat, [{ text: "a" }, { text: "fail" }]);
        const got: string[] = [];
        for await (const r of chat) got.push(r.text);
        assert.equal(got, ["re: a"]);
        assert.is(chat.error?.code, Code.Aborted);
        const slow = await client.callUnary(M.echo, { delayMs: 3000 }, { timeoutMs: 100 });
        assert.is(slow.error?.code, Code.DeadlineExceeded);
      }
    } finally {
      await transport.close();
      await server.close();
    }
  });
}

test.run();
