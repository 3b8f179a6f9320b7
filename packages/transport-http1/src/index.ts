export { createHttp1Transport, type Http1Transport } from "./http1-transport.js";
export type { Http1TlsOptions, Http1TransportOptions } from "./options.js";
