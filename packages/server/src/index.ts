export {
  createConnectHandler,
  type ConnectHandlerOptions,
  type NextFunction,
  type NodeHandler,
} from "./node-handler.js";
export type { ShutdownOptions } from "./call-tracker.js";
export type { NodeServerRequest } from "./node-request.js";
export type { NodeServerResponse } from "./node-response.js";
export {
  type ConnectServer,
  defaultKeepAliveTimeoutMs,
  type ListenOptions,
  type ListenTlsOptions,
  listen,
} from "./listen.js";
export {
  createFetchHandler,
  type FetchHandler,
  type FetchHandlerOptions,
} from "./fetch-handler.js";
