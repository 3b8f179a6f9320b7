/**
 * Interceptors for connect-ts clients and servers: each a plain `Interceptor`
 * from `@connect-ts/protocol`, to list in a client's or router's
 * `interceptors` option (the first is outermost).
 */
export { bearerAuth, type TokenSource } from "./bearer-auth.js";
export { headers } from "./headers.js";
export { formatLogEntry, type LogEntry, type LoggingOptions, logging } from "./logging.js";
export { type RetryOptions, retry } from "./retry.js";
