import { AsyncLocalStorage } from "node:async_hooks";
import { createServer as createHttpServer, type Server as Http1Server } from "node:http";
import {
  createServer as createHttp2Server,
  createSecureServer,
  type Http2SecureServer,
  type Http2Server,
} from "node:http2";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { type ConnectHandlerOptions, createConnectHandler } from "@connect-ts/server";
import { HTTPVersion } from "../gen/connectrpc/conformance/v1/config_pb.js";
import {
  type ServerCompatRequest,
  ServerCompatRequestSchema,
  ServerCompatResponseSchema,
} from "../gen/connectrpc/conformance/v1/server_compat_pb.js";
import { conformanceService } from "../gen/connectrpc/conformance/v1/service_connect.js";
import { compressions } from "./compressions.js";
import { readDelimited, writeDelimited } from "./delimited.js";
import { conformanceRegistry } from "./registry.js";
import { conformanceImplementation } from "./service.js";

/** How long calls in flight may run on once SIGTERM arrives. */
const shutdownGraceMs = 200;

/** The method and target of the request being served, for the GET query echo. */
const currentRequest = new AsyncLocalStorage<{ method: string | undefined; url: string }>();

/**
 * The server under test: reads one `ServerCompatRequest` from stdin, serves
 * `ConformanceService` on 127.0.0.1 (an OS-chosen port) as it asks, answers
 * with a `ServerCompatResponse` on stdout and runs until SIGTERM.
 */
async function main(): Promise<void> {
  const request = await readRequest();
  const implementation = conformanceImplementation({
    query: () => {
      const current = currentRequest.getStore();
      if (current?.method !== "GET") return undefined;
      const q = current.url.indexOf("?");
      return q < 0 ? "" : current.url.slice(q + 1);
    },
  });
  const options: ConnectHandlerOptions = {
    compression: compressions(),
    registry: conformanceRegistry,
    requireClientCert: request.clientTlsCert.length > 0,
  };
  if (request.messageReceiveLimit > 0) options.readMaxBytes = request.messageReceiveLimit;
  const handler = createConnectHandler([conformanceService(implementation)], options);
  const listener: typeof handler = Object.assign(
    (req: Parameters<typeof handler>[0], res: Parameters<typeof handler>[1]) =>
      currentRequest.run({ method: req.method, url: req.url ?? "/" }, () => handler(req, res)),
    handler,
  );
  const server = startServer(request, listener);
  if (request.httpVersion !== HTTPVersion.HTTP_VERSION_2) {
    // Node closes an idle HTTP/1.1 connection after 5 s by default, while
    // Go's client keeps one for 90 s: a request sent on a connection just as
    // the server closes it fails with ECONNRESET, which the runner reports.
    // Outlast the client instead.
    (server as Http1Server).keepAliveTimeout = 120_000;
  }
  if (request.httpVersion === HTTPVersion.HTTP_VERSION_2 && !compatPath) {
    // HTTP/2 calls are served from the stream event, as listen() does;
    // CONFORMANCE_HTTP2_COMPAT=1 runs the suite on the request listener instead.
    server.on("stream", (stream, headers, flags, rawHeaders) =>
      currentRequest.run({ method: headers[":method"], url: headers[":path"] ?? "/" }, () =>
        handler.stream(stream, headers, flags, rawHeaders),
      ),
    );
  }
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const response = create(ServerCompatResponseSchema, {
    host: "127.0.0.1",
    port,
    pemCert: request.useTls ? request.serverCreds?.cert : undefined,
  });
  await writeDelimited(process.stdout, toBinary(ServerCompatResponseSchema, response));

  process.once("SIGTERM", () => {
    const exit = setTimeout(() => process.exit(0), shutdownGraceMs + 1000);
    exit.unref();
    handler
      .shutdown({ graceMs: shutdownGraceMs })
      .catch((err: unknown) => console.error("shutdown:", err))
      .finally(() => server.close(() => process.exit(0)));
  });
}

/** Reads the one size-delimited request from stdin. */
async function readRequest(): Promise<ServerCompatRequest> {
  for await (const message of readDelimited(process.stdin)) {
    return fromBinary(ServerCompatRequestSchema, message);
  }
  throw new Error("stdin ended before a ServerCompatRequest arrived");
}

/** Whether HTTP/2 calls go through Node's compatibility request listener. */
const compatPath = process.env.CONFORMANCE_HTTP2_COMPAT === "1";

/**
 * The kind of server the request asks for: HTTP/1.1 or HTTP/2, cleartext or
 * TLS. An HTTP/2 server gets the request listener only on the compatibility
 * path; otherwise the caller mounts the handler on its stream event.
 */
function startServer(
  request: ServerCompatRequest,
  listener: ReturnType<typeof createConnectHandler>,
): Http1Server | Http2Server | Http2SecureServer {
  const http2 = request.httpVersion === HTTPVersion.HTTP_VERSION_2;
  const h2Listener = compatPath ? listener : undefined;
  if (!request.useTls) {
    return http2 ? createHttp2Server(h2Listener) : createHttpServer(listener);
  }
  const creds = request.serverCreds;
  if (creds === undefined) throw new Error("use_tls is set but no server_creds came with it");
  const tls = {
    cert: Buffer.from(creds.cert),
    key: Buffer.from(creds.key),
    // Client certificates are checked here but not enforced by the handshake:
    // the handler refuses calls without a verified one with an RPC error.
    ...(request.clientTlsCert.length > 0
      ? { ca: Buffer.from(request.clientTlsCert), requestCert: true, rejectUnauthorized: false }
      : {}),
  };
  // HTTP/2 over TLS is negotiated by ALPN, so no HTTP/1.1 fallback is needed.
  return http2 ? createSecureServer(tls, h2Listener) : createHttpsServer(tls, listener);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
