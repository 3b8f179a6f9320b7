import { type AnyFn, Code, ConnectError, type Interceptor } from "@connect-ts/protocol";

/** A token, or a function that returns one (a promise of one is fine: it is awaited per call). */
export type TokenSource = string | (() => string | Promise<string>);

/**
 * Sets `Authorization: Bearer <token>` on every client request. The token is
 * fetched per call when given as a function, so a refreshing token source
 * works as it is; cache inside it if fetching is costly. A header the caller
 * set on the call itself wins. If the token source throws or gives an empty
 * token, the call fails with `unauthenticated` before anything is sent. On a
 * server this interceptor does nothing.
 *
 * @example
 * createClient(ElizaService, transport, { interceptors: [bearerAuth(() => tokens.current())] });
 */
export function bearerAuth(token: TokenSource): Interceptor {
  if (typeof token !== "string" && typeof token !== "function") {
    throw new TypeError("bearerAuth: token must be a string or a function");
  }
  return (next: AnyFn): AnyFn =>
    async (request) => {
      if (request.side !== "client" || request.header.has("authorization")) return next(request);
      let value: string;
      try {
        value = typeof token === "string" ? token : await token();
      } catch (e) {
        throw new ConnectError("bearerAuth: could not get a token", Code.Unauthenticated, {
          cause: e,
        });
      }
      if (typeof value !== "string" || value.length === 0) {
        throw new ConnectError("bearerAuth: the token is empty", Code.Unauthenticated);
      }
      request.header.set("authorization", `Bearer ${value}`);
      return next(request);
    };
}
