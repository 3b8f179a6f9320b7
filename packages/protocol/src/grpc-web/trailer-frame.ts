import { Code } from "../code.js";
import { ConnectError } from "../connect-error.js";
import { Metadata } from "../metadata.js";

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Encodes trailers as gRPC-Web carries them in its last frame: an HTTP/1
 * header block without the final empty line, one `name: value\r\n` line per
 * value, names in lower case.
 */
export function encodeTrailerBlock(trailers: Metadata): Uint8Array {
  let text = "";
  for (const [name, value] of trailers) text += `${name}: ${value}\r\n`;
  return utf8.encode(text);
}

/**
 * Parses the payload of a gRPC-Web trailer frame. Lines may end in CRLF or a
 * bare LF; a line without a colon, or text that is not UTF-8, is an
 * `internal` error (the server is broken).
 */
export function parseTrailerBlock(data: Uint8Array): Metadata {
  let text: string;
  try {
    text = utf8Decoder.decode(data);
  } catch (e) {
    throw new ConnectError("protocol error: gRPC-Web trailers are not UTF-8", Code.Internal, {
      cause: e,
    });
  }
  const trailers = new Metadata();
  for (const line of text.split("\n")) {
    const trimmed = line.endsWith("\r") ? line.slice(0, -1) : line;
    if (trimmed.trim().length === 0) continue;
    const colon = trimmed.indexOf(":");
    if (colon <= 0) {
      throw new ConnectError(
        `protocol error: invalid gRPC-Web trailer line "${trimmed.length > 40 ? `${trimmed.slice(0, 40)}...` : trimmed}"`,
        Code.Internal,
      );
    }
    trailers.append(trimmed.slice(0, colon).trim(), trimmed.slice(colon + 1).trim());
  }
  return trailers;
}
