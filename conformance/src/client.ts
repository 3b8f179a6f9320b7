import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type {
  ClientOptions,
  Compression as CompressionImpl,
  Transport,
} from "@connect-ts/protocol";
import { createHttp1Transport } from "@connect-ts/transport-http1";
import { createHttp2Transport } from "@connect-ts/transport-http2";
import {
  type ClientCompatRequest,
  ClientCompatRequestSchema,
  type ClientCompatResponse,
  ClientCompatResponseSchema,
} from "../gen/connectrpc/conformance/v1/client_compat_pb.js";
import {
  Codec,
  Compression,
  HTTPVersion,
  Protocol,
} from "../gen/connectrpc/conformance/v1/config_pb.js";
import { ConformanceServiceClient } from "../gen/connectrpc/conformance/v1/service_connect.js";
import { compressions } from "./compressions.js";
import { readDelimited, writeDelimited } from "./delimited.js";
import { InvalidCaseError, invoke } from "./invoke.js";
import { conformanceRegistry } from "./registry.js";

/**
 * How many RPCs run at once. The runner sends every case up front; a bound
 * keeps a 2-core machine from timing out the cases that measure deadlines.
 */
const maxConcurrent = 16;

/**
 * The client under test: reads size-delimited `ClientCompatRequest`s from
 * stdin until it ends, runs each RPC with connect-ts over the transport it
 * names, and writes one `ClientCompatResponse` per request to stdout, in
 * whatever order they finish. Logs go to stderr.
 */
async function main(): Promise<void> {
  process.once("SIGTERM", () => process.exit(0));
  const transports = new TransportCache();
  const running = new Set<Promise<void>>();
  try {
    for await (const bytes of readDelimited(process.stdin)) {
      const req = fromBinary(ClientCompatRequestSchema, bytes);
      while (running.size >= maxConcurrent) await Promise.race(running);
      const task = runCase(req, transports)
        .then((res) => writeDelimited(process.stdout, toBinary(ClientCompatResponseSchema, res)))
        .catch((err: unknown) => console.error(`${req.testName}: cannot write result:`, err))
        .finally(() => running.delete(task));
      running.add(task);
    }
    await Promise.all(running);
  } finally {
    await transports.closeAll();
  }
}

/** Runs one case; failures to even issue the RPC become an error result. */
async function runCase(
  req: ClientCompatRequest,
  transports: TransportCache,
): Promise<ClientCompatResponse> {
  try {
    const client = new ConformanceServiceClient(transports.get(req), clientOptions(req));
    const response = await invoke(client, req);
    return create(ClientCompatResponseSchema, {
      testName: req.testName,
      result: { case: "response", value: response },
    });
  } catch (err) {
    if (!(err instanceof InvalidCaseError)) console.error(`${req.testName}:`, err);
    return create(ClientCompatResponseSchema, {
      testName: req.testName,
      result: {
        case: "error",
        value: { message: String(err instanceof Error ? err.message : err) },
      },
    });
  }
}

/** The client options a case asks for: protocol, codec, compression, limits, GET. */
function clientOptions(req: ClientCompatRequest): ClientOptions {
  const options: ClientOptions = {
    protocol: protocolName(req.protocol),
    codec: req.codec === Codec.JSON ? "json" : "proto",
    useHttpGet: req.useGetHttpMethod,
    registry: conformanceRegistry,
  };
  if (req.codec !== Codec.JSON && req.codec !== Codec.PROTO && req.codec !== Codec.UNSPECIFIED) {
    throw new InvalidCaseError(`unsupported codec ${Codec[req.codec]}`);
  }
  const send = compressionFor(req.compression);
  if (send !== undefined) {
    options.compression = { send, accept: compressions(), minBytes: 0 };
  } else {
    options.compression = { accept: compressions() };
  }
  if (req.messageReceiveLimit > 0) options.readMaxBytes = req.messageReceiveLimit;
  return options;
}

function protocolName(protocol: Protocol): ClientOptions["protocol"] {
  switch (protocol) {
    case Protocol.CONNECT:
      return "connect";
    case Protocol.GRPC:
      return "grpc";
    case Protocol.GRPC_WEB:
      return "grpc-web";
    default:
      throw new InvalidCaseError(`unsupported protocol ${Protocol[protocol]}`);
  }
}

function compressionFor(compression: Compression): CompressionImpl | undefined {
  if (compression === Compression.UNSPECIFIED || compression === Compression.IDENTITY) {
    return undefined;
  }
  const name = Compression[compression].toLowerCase();
  const found = compressions().find((c) => c.name === name);
  if (found === undefined) throw new InvalidCaseError(`unsupported compression ${name}`);
  return found;
}

/**
 * One transport per server and TLS setup, shared by the cases that go there,
 * so that connections are pooled the way an application would pool them.
 */
class TransportCache {
  readonly #transports = new Map<string, Transport>();

  get(req: ClientCompatRequest): Transport {
    const tls = req.serverTlsCert.length > 0;
    const http2 = req.httpVersion === HTTPVersion.HTTP_VERSION_2;
    if (!http2 && req.httpVersion !== HTTPVersion.HTTP_VERSION_1) {
      throw new InvalidCaseError(`unsupported HTTP version ${HTTPVersion[req.httpVersion]}`);
    }
    const baseUrl = `${tls ? "https" : "http"}://${req.host}:${req.port}`;
    const creds = req.clientTlsCreds;
    const key = JSON.stringify([
      http2,
      baseUrl,
      Buffer.from(req.serverTlsCert).toString("base64"),
      creds === undefined ? "" : Buffer.from(creds.cert).toString("base64"),
    ]);
    let transport = this.#transports.get(key);
    if (transport === undefined) {
      const tlsOptions = tls
        ? {
            ca: Buffer.from(req.serverTlsCert),
            ...(creds === undefined
              ? {}
              : { cert: Buffer.from(creds.cert), key: Buffer.from(creds.key) }),
          }
        : undefined;
      transport = http2
        ? createHttp2Transport({ baseUrl, tls: tlsOptions })
        : createHttp1Transport({ baseUrl, tls: tlsOptions });
      this.#transports.set(key, transport);
    }
    return transport;
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.#transports.values()].map((t) => t.close()));
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
