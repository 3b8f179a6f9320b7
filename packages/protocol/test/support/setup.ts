import {
  type ClientOptions,
  createMemoryTransport,
  createRouter,
  RpcClient,
  type RouterOptions,
} from "../../src/index.js";
import { testService } from "./test-service.js";

/** A client wired to a router of the test service through the in-memory transport. */
export function setup(
  clientOptions: ClientOptions = {},
  routerOptions: RouterOptions = {},
  httpVersion: "1.1" | "2" = "2",
): RpcClient {
  const router = createRouter([testService], routerOptions);
  return new RpcClient(createMemoryTransport(router, { httpVersion }), clientOptions);
}
