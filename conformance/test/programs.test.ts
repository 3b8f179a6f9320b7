// Runs the built client program against the built server program, over
// real loopback sockets, for the behaviours the runner checks most: headers
// and trailers, errors with details, streams, cancellation, deadlines and
// Connect GET. A quick self-check that does not need the runner.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { create, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { anyPack, anyUnpack } from "@bufbuild/protobuf/wkt";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  type ClientCompatRequestSchema,
  ClientCompatRequestSchema as RequestSchema,
  type ClientCompatResponse,
  ClientCompatResponseSchema,
  type ClientResponseResult,
} from "../gen/connectrpc/conformance/v1/client_compat_pb.js";
import {
  Code,
  Codec,
  HTTPVersion,
  Protocol,
  StreamType,
} from "../gen/connectrpc/conformance/v1/config_pb.js";
import {
  ServerCompatRequestSchema,
  ServerCompatResponseSchema,
} from "../gen/connectrpc/conformance/v1/server_compat_pb.js";
import {
  BidiStreamRequestSchema,
  ConformancePayload_RequestInfoSchema,
  IdempotentUnaryRequestSchema,
  ServerStreamRequestSchema,
  UnaryRequestSchema,
  UnimplementedRequestSchema,
} from "../gen/connectrpc/conformance/v1/service_pb.js";
import { frameDelimited, readDelimited } from "../src/delimited.js";

const bin = new URL("../bin/", import.meta.url).pathname;
const data = new TextEncoder().encode("hello");

/** Starts the server program and returns it with its port. */
async function startServer(version: HTTPVersion): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, [`${bin}server`], { stdio: ["pipe", "pipe", "inherit"] });
  const req = create(ServerCompatRequestSchema, {
    protocol: Protocol.CONNECT,
    httpVersion: version,
  });
  proc.stdin!.end(frameDelimited(toBinary(ServerCompatRequestSchema, req)));
  for await (const bytes of readDelimited(proc.stdout!)) {
    return { proc, port: fromBinary(ServerCompatResponseSchema, bytes).port };
  }
  throw new Error("the server program wrote no ServerCompatResponse");
}

/** Runs requests through the client program; results by test name. */
async function runClient(
  requests: MessageInitShape<typeof ClientCompatRequestSchema>[],
): Promise<Map<string, ClientCompatResponse>> {
  const proc = spawn(process.execPath, [`${bin}client`], { stdio: ["pipe", "pipe", "inherit"] });
  for (const r of requests) {
    proc.stdin!.write(frameDelimited(toBinary(RequestSchema, create(RequestSchema, r))));
  }
  proc.stdin!.end();
  const out = new Map<string, ClientCompatResponse>();
  for await (const bytes of readDelimited(proc.stdout!)) {
    const res = fromBinary(ClientCompatResponseSchema, bytes);
    out.set(res.testName, res);
  }
  const [code] = await once(proc, "exit");
  assert.is(code, 0, "the client program exits cleanly at the end of its input");
  return out;
}

function resultOf(results: Map<string, ClientCompatResponse>, name: string): ClientResponseResult {
  const res = results.get(name);
  assert.ok(res, `a result for ${name}`);
  if (res.result.case !== "response") {
    assert.unreachable(
      `${name}: ${res.result.case === "error" ? res.result.value.message : "empty"}`,
    );
  }
  return res.result.value as ClientResponseResult;
}

function header(list: { name: string; value: string[] }[], name: string): string[] | undefined {
  return list.find((h) => h.name === name)?.value;
}

for (const version of [HTTPVersion.HTTP_VERSION_1, HTTPVersion.HTTP_VERSION_2]) {
  test(`client and server programs over HTTP/${version === HTTPVersion.HTTP_VERSION_1 ? "1.1" : "2"}`, async () => {
    const { proc: server, port } = await startServer(version);
    try {
      const base = { httpVersion: version, protocol: Protocol.CONNECT, host: "127.0.0.1", port };
      const results = await runClient([
        {
          ...base,
          testName: "unary",
          codec: Codec.JSON,
          streamType: StreamType.UNARY,
          requestHeaders: [{ name: "x-test", value: ["a", "b"] }],
          requestMessages: [
            anyPack(
              UnaryRequestSchema,
              create(UnaryRequestSchema, {
                responseDefinition: {
                  responseHeaders: [{ name: "x-custom-header", value: ["foo"] }],
                  responseTrailers: [{ name: "x-custom-trailer", value: ["bar"] }],
                  response: { case: "responseData", value: data },
                },
              }),
            ),
          ],
        },
        {
          ...base,
          testName: "unary-error",
          codec: Codec.PROTO,
          streamType: StreamType.UNARY,
          requestMessages: [
            anyPack(
              UnaryRequestSchema,
              create(UnaryRequestSchema, {
                responseDefinition: {
                  response: {
                    case: "error",
                    value: { code: Code.FAILED_PRECONDITION, message: "no way" },
                  },
                },
              }),
            ),
          ],
        },
        {
          ...base,
          testName: "unimplemented",
          streamType: StreamType.UNARY,
          method: "Unimplemented",
          service: "connectrpc.conformance.v1.ConformanceService",
          requestMessages: [
            anyPack(UnimplementedRequestSchema, create(UnimplementedRequestSchema)),
          ],
        },
        {
          ...base,
          testName: "server-stream-cancel",
          streamType: StreamType.SERVER_STREAM,
          cancel: { cancelTiming: { case: "afterNumResponses", value: 1 } },
          requestMessages: [
            anyPack(
              ServerStreamRequestSchema,
              create(ServerStreamRequestSchema, {
                responseDefinition: { responseData: [data, data, data], responseDelayMs: 100 },
              }),
            ),
          ],
        },
        {
          ...base,
          testName: "deadline",
          streamType: StreamType.UNARY,
          timeoutMs: 100,
          requestMessages: [
            anyPack(
              UnaryRequestSchema,
              create(UnaryRequestSchema, {
                responseDefinition: {
                  responseDelayMs: 1000,
                  response: { case: "responseData", value: data },
                },
              }),
            ),
          ],
        },
        {
          ...base,
          testName: "get",
          streamType: StreamType.UNARY,
          method: "IdempotentUnary",
          service: "connectrpc.conformance.v1.ConformanceService",
          useGetHttpMethod: true,
          requestMessages: [
            anyPack(
              IdempotentUnaryRequestSchema,
              create(IdempotentUnaryRequestSchema, {
                responseDefinition: { response: { case: "responseData", value: data } },
              }),
            ),
          ],
        },
        {
          ...base,
          testName: "bidi",
          streamType:
            version === HTTPVersion.HTTP_VERSION_2
              ? StreamType.FULL_DUPLEX_BIDI_STREAM
              : StreamType.HALF_DUPLEX_BIDI_STREAM,
          requestMessages: [
            anyPack(
              BidiStreamRequestSchema,
              create(BidiStreamRequestSchema, {
                fullDuplex: version === HTTPVersion.HTTP_VERSION_2,
                responseDefinition: {
                  responseData: [data, data],
                  error: { code: Code.ABORTED, message: "after two" },
                },
              }),
            ),
            anyPack(
              BidiStreamRequestSchema,
              create(BidiStreamRequestSchema, { requestData: data }),
            ),
          ],
        },
      ]);

      const unary = resultOf(results, "unary");
      assert.equal(header(unary.responseHeaders, "x-custom-header"), ["foo"]);
      assert.equal(header(unary.responseTrailers, "x-custom-trailer"), ["bar"]);
      assert.equal(unary.payloads.length, 1);
      assert.equal([...unary.payloads[0]!.data], [...data]);
      const echoed = unary.payloads[0]!.requestInfo!;
      // Both values arrive, in order, whether or not HTTP folded them into one.
      const xTest = header(echoed.requestHeaders, "x-test") ?? [];
      assert.is(xTest.join(",").replace(/ /g, ""), "a,b");
      assert.is(echoed.requests.length, 1);

      const failed = resultOf(results, "unary-error");
      assert.is(failed.error?.code, Code.FAILED_PRECONDITION);
      assert.is(failed.error?.message, "no way");
      const info = anyUnpack(failed.error!.details[0]!, ConformancePayload_RequestInfoSchema);
      assert.ok(info, "the error carries the request info as a detail");
      assert.is(info.requests.length, 1);

      assert.is(resultOf(results, "unimplemented").error?.code, Code.UNIMPLEMENTED);

      const cancelled = resultOf(results, "server-stream-cancel");
      assert.is(cancelled.payloads.length, 1);
      assert.is(cancelled.error?.code, Code.CANCELED);

      assert.is(resultOf(results, "deadline").error?.code, Code.DEADLINE_EXCEEDED);

      const get = resultOf(results, "get");
      assert.is(get.error, undefined);
      const query = get.payloads[0]!.requestInfo!.connectGetInfo!.queryParams;
      assert.ok(header(query, "message"), "the server echoes the GET query");

      const bidi = resultOf(results, "bidi");
      assert.is(bidi.payloads.length, 2);
      assert.is(bidi.error?.code, Code.ABORTED);
      const firstEcho = bidi.payloads[0]!.requestInfo!;
      // Full duplex echoes the requests read so far (one); half duplex all of them.
      assert.is(firstEcho.requests.length, version === HTTPVersion.HTTP_VERSION_2 ? 1 : 2);
    } finally {
      server.kill("SIGTERM");
      const [code] = await once(server, "exit");
      assert.is(code, 0, "the server program exits cleanly on SIGTERM");
    }
  });
}

test.run();
