import {
  type ClientOptions,
  ConnectError,
  codeToString,
  type Transport,
} from "@connect-ts/protocol";
import { ElizaServiceClient } from "./gen/eliza/v1/eliza_connect.js";

/**
 * Has a short session with Eliza over `transport`, making each of the four
 * kinds of call once, and reports what she says through `print`. `options`
 * choose the protocol (Connect by default, or gRPC, or gRPC-Web), the codec
 * and the rest.
 */
export async function talkToEliza(
  transport: Transport,
  print: (line: string) => void = console.log,
  options?: ClientOptions,
): Promise<void> {
  const client = new ElizaServiceClient(transport, options);

  // Unary: one request, one response.
  const said = await client.say({ sentence: "Hello, Eliza!" }, { timeoutMs: 5000 });
  print(`say          > Eliza says: ${said.sentence}`);

  // The same call in its low-level form, which also shows the response headers.
  const output = await client.callSay({ sentence: "I feel a little nervous." });
  if (output.error !== undefined) {
    throw output.error;
  }
  print(
    `callSay      > Eliza says: ${output.message?.sentence} ` +
      `(mood: ${output.headers.get("eliza-mood") ?? "unknown"})`,
  );

  // Server streaming: one request, a stream of responses.
  for await (const response of client.introduce({ name: "Henry" })) {
    print(`introduce    > Eliza: ${response.sentence}`);
  }

  // Client streaming: a stream of requests, one response.
  const pontificated = await client.pontificate([
    { sentence: "I have many things on my mind." },
    { sentence: "But I will save them for later." },
  ]);
  print(`pontificate  > Eliza responds: ${pontificated.sentence}`);

  // Bidi streaming: requests and responses both stream. Over HTTP/2 each
  // answer arrives before the next sentence is sent; over HTTP/1.1 the
  // requests go first and the answers follow.
  async function* sentences() {
    yield { sentence: "I have been having trouble communicating." };
    yield { sentence: "But structured RPCs are pretty great!" };
    yield { sentence: "What do you think?" };
    yield { sentence: "Goodbye." };
  }
  for await (const response of client.converse(sentences())) {
    print(`converse     > Eliza: ${response.sentence}`);
  }

  // Errors arrive as ConnectError, with a code.
  try {
    await client.say({ sentence: "blah ".repeat(300) });
  } catch (e) {
    const error = ConnectError.from(e);
    print(`say (too long) > refused with ${codeToString(error.code)}: ${error.rawMessage}`);
  }
}
