import {
  Code,
  type ConnectError,
  codeToString,
  Metadata,
  type ServerResponse,
} from "@connect-ts/protocol";

/**
 * Builds an error answer in the wire format of the request's protocol, for the
 * few cases where the adapter itself refuses a call before the router sees it
 * (shutting down, missing client certificate, a router that failed).
 *
 * The protocol is told apart by the request's `content-type`, as the router
 * does: gRPC answers HTTP 200 with the status in its headers (Trailers-Only),
 * gRPC-Web with the status in a trailer frame, Connect streaming answers 200 with an
 * end-of-stream message, and Connect unary (and anything unrecognised)
 * answers the HTTP status that the Connect protocol maps the code to, with a
 * JSON error body.
 */
export function errorResponse(
  contentType: string | undefined,
  error: ConnectError,
  extraHeaders?: Metadata,
): ServerResponse {
  const ct = contentType ?? "";
  const headers = new Metadata(extraHeaders);
  if (ct.startsWith("application/grpc-web")) {
    headers.set("content-type", ct);
    return { status: 200, headers, body: grpcWebTrailerFrame(error) };
  }
  if (ct.startsWith("application/grpc")) {
    // Trailers-Only: the status travels with the headers, so the answer is
    // complete in one HEADERS frame that ends the stream.
    headers
      .set("content-type", ct)
      .set("grpc-status", String(error.code))
      .set("grpc-message", percentEncode(error.rawMessage));
    return { status: 200, headers, body: undefined };
  }
  if (ct.startsWith("application/connect+")) {
    headers.set("content-type", ct);
    const json = JSON.stringify({ error: errorJson(error) });
    return { status: 200, headers, body: envelope(0x02, encoder.encode(json)) };
  }
  headers.set("content-type", "application/json");
  return {
    status: httpStatusOf(error.code),
    headers,
    body: encoder.encode(JSON.stringify(errorJson(error))),
  };
}

const encoder = new TextEncoder();

function errorJson(error: ConnectError): { code: string; message?: string } {
  const out: { code: string; message?: string } = { code: codeToString(error.code) };
  if (error.rawMessage.length > 0) out.message = error.rawMessage;
  return out;
}

function envelope(flags: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, payload.length);
  out.set(payload, 5);
  return out;
}

function grpcWebTrailerFrame(error: ConnectError): Uint8Array {
  const text = `grpc-status: ${error.code}\r\ngrpc-message: ${percentEncode(error.rawMessage)}\r\n`;
  return envelope(0x80, encoder.encode(text));
}

/** Percent-encodes a grpc-message: bytes outside printable ASCII, and `%` itself. */
function percentEncode(text: string): string {
  let out = "";
  for (const byte of encoder.encode(text)) {
    out +=
      byte < 0x20 || byte > 0x7e || byte === 0x25
        ? `%${byte.toString(16).toUpperCase().padStart(2, "0")}`
        : String.fromCharCode(byte);
  }
  return out;
}

/** The HTTP status the Connect protocol gives each code on unary responses. */
export function httpStatusOf(code: Code): number {
  switch (code) {
    case Code.Canceled:
      return 499;
    case Code.InvalidArgument:
    case Code.FailedPrecondition:
    case Code.OutOfRange:
      return 400;
    case Code.DeadlineExceeded:
      return 504;
    case Code.NotFound:
      return 404;
    case Code.AlreadyExists:
    case Code.Aborted:
      return 409;
    case Code.PermissionDenied:
      return 403;
    case Code.ResourceExhausted:
      return 429;
    case Code.Unimplemented:
      return 501;
    case Code.Unavailable:
      return 503;
    case Code.Unauthenticated:
      return 401;
    default:
      return 500;
  }
}
