export { createHttp2Transport, type Http2Transport } from "./http2-transport.js";
export type { Http2TlsOptions, Http2TransportOptions } from "./options.js";
