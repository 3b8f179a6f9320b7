import * as http2 from "node:http2";
import { encodeStreamRequest, envelope } from "../payload.js";
import { methodPath, type Wire } from "../types.js";

/** Streams opened per HTTP/2 connection. */
const STREAMS_PER_SESSION = 1000;

/** Server streams held open by {@link openHeldStreams}. */
export interface HeldStreams {
  readonly opened: number;
  close(): Promise<void>;
}

/**
 * Opens `count` server streams that the server keeps open (`hold: true`),
 * with a bare `node:http2` client so the server alone is measured. Resolves
 * once every stream has delivered its first message.
 */
export async function openHeldStreams(
  baseUrl: string,
  wire: Wire,
  count: number,
): Promise<HeldStreams> {
  const body = envelope(encodeStreamRequest(1, 16, true));
  const headers: http2.OutgoingHttpHeaders =
    wire === "grpc"
      ? {
          ":method": "POST",
          ":path": methodPath("ServerStream"),
          "content-type": "application/grpc",
          te: "trailers",
        }
      : {
          ":method": "POST",
          ":path": methodPath("ServerStream"),
          "content-type": "application/connect+proto",
          "connect-protocol-version": "1",
        };
  const sessions: http2.ClientHttp2Session[] = [];
  const firstMessages: Promise<void>[] = [];
  for (let opened = 0; opened < count; ) {
    const session = http2.connect(baseUrl, {
      maxSessionMemory: 1024,
      peerMaxConcurrentStreams: STREAMS_PER_SESSION,
    });
    session.on("error", () => {});
    await new Promise<void>((resolve, reject) => {
      session.once("remoteSettings", () => resolve());
      session.once("error", reject);
    });
    sessions.push(session);
    const batch = Math.min(STREAMS_PER_SESSION, count - opened);
    for (let i = 0; i < batch; i++) {
      const stream = session.request(headers);
      stream.end(body);
      firstMessages.push(
        new Promise((resolve, reject) => {
          stream.on("error", reject);
          stream.on("response", (h) => {
            if (h[":status"] !== 200) reject(new Error(`HTTP ${h[":status"]}`));
          });
          stream.on("end", () => reject(new Error("held stream ended")));
          stream.once("data", () => resolve());
          // Keep reading (and dropping) so flow control never stalls the server.
          stream.resume();
        }),
      );
    }
    opened += batch;
  }
  await Promise.all(firstMessages);
  return {
    opened: count,
    close: async () => {
      await Promise.all(
        sessions.map(
          (session) =>
            new Promise<void>((resolve) => {
              session.once("close", () => resolve());
              session.destroy();
            }),
        ),
      );
    },
  };
}
