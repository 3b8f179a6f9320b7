/**
 * The `date` header of responses written on HTTP/2 streams, formatted once
 * per second.
 *
 * Why not leave it to Node: `ServerHttp2Stream.respond` copies the headers
 * into a dictionary-mode object and then adds `date` when it is missing. With
 * the three headers of a unary answer (`:status`, `content-type`,
 * `content-length`) that addition misses V8's inline cache on every response
 * and goes through the runtime. A `date` that is present already is only
 * read there. Measured with h2load on 100-byte unary calls, two servers
 * sharing a core: 5-15% more calls per second with the date served here.
 */
let cached = "";
let expires = 0;

/** The current time as an HTTP date (RFC 9110, IMF-fixdate), at most a second old. */
export function httpDate(): string {
  const now = Date.now();
  if (now >= expires) {
    cached = new Date(now).toUTCString();
    expires = now - (now % 1000) + 1000;
  }
  return cached;
}
