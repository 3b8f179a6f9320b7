import * as http from "node:http";
import { registerService } from "@connect-ts/protocol";
import { createConnectHandler } from "@connect-ts/server";
import { BenchService } from "../../gen/bench/v1/bench_pb.js";
import type { BenchServer, HttpVersion } from "../types.js";
import { closeHttp1, closeHttp2, createHttp2Server, listen } from "./bare-server.js";
import { oursImpl } from "./bench-impl-ours.js";

/**
 * Starts the benchmark service on connect-ts (`createConnectHandler` from
 * @connect-ts/server). Over HTTP/2 the handler serves the server's 'stream'
 * event, as `listen` mounts it.
 */
export function startOursServer(httpVersion: HttpVersion): Promise<BenchServer> {
  const handler = createConnectHandler([registerService(BenchService, oursImpl)]);
  if (httpVersion === "1.1") {
    const server = http.createServer(handler);
    server.keepAliveTimeout = 60_000;
    return listen(server, () => closeHttp1(server));
  }
  const server = createHttp2Server();
  server.on("stream", handler.stream);
  return listen(server, () => closeHttp2(server));
}
