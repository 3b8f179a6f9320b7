import type { ConnectError } from "./connect-error.js";
import { Metadata } from "./metadata.js";

// A ConnectError carries headers and trailers merged in `metadata`, which is
// what most code wants. The low-level call outputs report them apart, so the
// protocols record the split here, beside the error rather than on it.
const parts = new WeakMap<ConnectError, { headers: Metadata; trailers: Metadata }>();

/** Records which of an error's metadata came as headers and which as trailers. */
export function setErrorParts(error: ConnectError, headers: Metadata, trailers: Metadata): void {
  parts.set(error, { headers, trailers });
}

/** The headers and trailers an error came with; all of its metadata as headers if unrecorded. */
export function errorParts(error: ConnectError): { headers: Metadata; trailers: Metadata } {
  return parts.get(error) ?? { headers: error.metadata, trailers: new Metadata() };
}
