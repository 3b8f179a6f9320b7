import { type HttpRequest, Metadata } from "@connect-ts/protocol";

/** A POST of `body` to `url` with no headers, as the transport tests send it. */
export function postRequest(
  url: string,
  body: HttpRequest["body"],
  signal: AbortSignal = new AbortController().signal,
): HttpRequest {
  return { method: "POST", url, headers: new Metadata(), body, signal };
}
