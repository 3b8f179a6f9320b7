import * as http from "node:http";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { BenchService } from "../../gen/bench/v1/bench_pb.js";
import type { BenchServer, HttpVersion } from "../types.js";
import { closeHttp1, closeHttp2, createHttp2Server, listen } from "./bare-server.js";
import { connectEsImpl } from "./bench-impl-connect-es.js";

/** Starts the benchmark service on connect-es (connect-node adapter; Connect, gRPC and gRPC-Web). */
export function startConnectEsServer(httpVersion: HttpVersion): Promise<BenchServer> {
  const handler = connectNodeAdapter({
    routes(router) {
      router.service(BenchService, connectEsImpl);
    },
  });
  if (httpVersion === "1.1") {
    const server = http.createServer(handler);
    server.keepAliveTimeout = 60_000;
    return listen(server, () => closeHttp1(server));
  }
  const server = createHttp2Server(handler);
  return listen(server, () => closeHttp2(server));
}
