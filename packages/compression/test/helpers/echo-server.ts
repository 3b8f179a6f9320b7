import {
  Code,
  type Compression,
  ConnectError,
  codeFromString,
  type Interceptor,
  registerService,
} from "@connect-ts/protocol";
import { type ConnectServer, listen } from "@connect-ts/server";
import { EchoService } from "@connect-ts/test-support/echo";

/** Request headers each call arrived with, as the server saw them. */
export type SeenHeaders = Array<Record<string, string | string[]>>;

/** The echo service: each method sends back what it got (payload included). */
export const echoRegistration = registerService(EchoService, {
  async echo(req) {
    if (req.failWith !== "") {
      throw new ConnectError(
        `failed as asked: ${"x".repeat(2000)}`,
        codeFromString(req.failWith) ?? Code.Unknown,
      );
    }
    return { text: req.text, payload: req.payload };
  },
  async *echoServer(req) {
    for (let i = 0; i < req.count; i++) yield { text: req.text, payload: req.payload, index: i };
    if (req.failWith !== "") {
      throw new ConnectError(
        `stream failed as asked: ${"y".repeat(2000)}`,
        codeFromString(req.failWith) ?? Code.Unknown,
      );
    }
  },
  async echoClient(reqs) {
    const texts: string[] = [];
    let size = 0;
    for await (const r of reqs) {
      texts.push(r.text);
      size += r.payload.length;
    }
    return { text: texts.join(","), index: size };
  },
  async *echoBidi(reqs) {
    let i = 0;
    for await (const r of reqs) yield { text: r.text, payload: r.payload, index: i++ };
  },
});

/** Starts the echo service on a loopback port over h2c, recording request headers. */
export async function startEchoServer(
  compression: readonly Compression[],
  extra: { compressMinBytes?: number; readMaxBytes?: number; httpVersion?: "1.1" | "2" } = {},
): Promise<{ server: ConnectServer; seen: SeenHeaders }> {
  const seen: SeenHeaders = [];
  const record: Interceptor = (next) => async (req) => {
    seen.push(req.header.toRecord());
    return next(req);
  };
  const server = await listen([echoRegistration], {
    host: "127.0.0.1",
    port: 0,
    compression,
    interceptors: [record],
    ...extra,
  });
  return { server, seen };
}

/** Bytes that compress well, and are long enough to pass any minimum size. */
export function textPayload(size: number): Uint8Array {
  const line = "the quick brown fox jumps over the lazy dog; ";
  return new TextEncoder().encode(line.repeat(Math.ceil(size / line.length)).slice(0, size));
}
