import { type AnyFn, type Interceptor, Metadata, type MetadataInit } from "@connect-ts/protocol";

/**
 * Adds fixed headers to every client request (for example a user agent or a
 * tenant id). Values are added after any the call set itself, so a name that
 * allows one value should not be set both here and per call. On a server this
 * interceptor does nothing.
 *
 * @example
 * createClient(ElizaService, transport, { interceptors: [headers({ "x-tenant": "acme" })] });
 */
export function headers(init: MetadataInit): Interceptor {
  // Copied once, so a caller changing its own object later changes nothing here.
  const fixed = new Metadata(init);
  return (next: AnyFn): AnyFn =>
    (request) => {
      if (request.side === "client") request.header.merge(fixed);
      return next(request);
    };
}
