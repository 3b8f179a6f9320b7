import { brotli, gzip } from "@connect-ts/compression";
import { bearerAuth, formatLogEntry, logging } from "@connect-ts/interceptors";
import { createHttp2Transport } from "@connect-ts/transport-http2";
import { ElizaServiceClient } from "./gen/eliza/v1/eliza_connect.js";
import { startElizaServer } from "./server.js";

/**
 * The layers at work: a generated client composed, at construction, with gzip
 * compression both ways, a bearer token and a logging interceptor, calling a
 * server that accepts gzip and brotli and logs its calls too. Eliza's
 * messages are small, so the usual 1 KiB threshold is lowered to compress
 * every one of them.
 */
export async function talkWithLayers(print: (line: string) => void = console.log): Promise<void> {
  const server = await startElizaServer({
    httpVersion: "2",
    compression: [gzip, brotli],
    compressMinBytes: 0,
    interceptors: [logging({ log: (e) => print(`server log   > ${formatLogEntry(e)}`) })],
  });
  const transport = createHttp2Transport({ baseUrl: server.url });
  try {
    const client = new ElizaServiceClient(transport, {
      compression: { send: gzip, accept: [gzip, brotli], minBytes: 0 },
      interceptors: [
        logging({ log: (e) => print(`client log   > ${formatLogEntry(e)}`) }),
        bearerAuth("demo-token"),
      ],
    });
    const output = await client.callSay({ sentence: "I think compression is neat." });
    if (output.error !== undefined) {
      throw output.error;
    }
    print(
      `callSay      > Eliza says: ${output.message?.sentence} ` +
        `(content-encoding: ${output.headers.get("content-encoding") ?? "none"})`,
    );
    const stream = client.callIntroduce({ name: "Zip" });
    let sentences = 0;
    for await (const _ of stream) {
      sentences++;
    }
    if (stream.error !== undefined) {
      throw stream.error;
    }
    print(
      `callIntroduce > ${sentences} sentences ` +
        `(connect-content-encoding: ${stream.headers.get("connect-content-encoding") ?? "none"})`,
    );
  } finally {
    await transport.close();
    await server.close({ graceMs: 1000 });
  }
}
