import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError, type HandlerContext } from "@connect-ts/protocol";
import { introduction, isGoodbye, reply, respondToMonologue } from "./eliza.js";
import type { ElizaServiceImplementation } from "./gen/eliza/v1/eliza_connect.js";
import type {
  ConverseRequest,
  IntroduceRequest,
  PontificateRequest,
  SayRequest,
} from "./gen/eliza/v1/eliza_pb.js";

/** Longest sentence Eliza listens to; longer ones are refused with `invalid_argument`. */
export const MAX_SENTENCE_LENGTH = 1000;

/** Options of {@link Eliza}. */
export interface ElizaOptions {
  /** Pause between the sentences of an introduction, for effect. Default 0. */
  introDelayMs?: number;
}

/**
 * The Eliza service: every RPC of `eliza.v1.ElizaService`, written as a class
 * against the generated `ElizaServiceImplementation`.
 */
export class Eliza implements ElizaServiceImplementation {
  readonly #introDelayMs: number;

  constructor(options: ElizaOptions = {}) {
    this.#introDelayMs = options.introDelayMs ?? 0;
  }

  say(request: SayRequest, context: HandlerContext) {
    checkSentence(request.sentence);
    context.responseHeaders.set("eliza-mood", "attentive");
    return { sentence: reply(request.sentence) };
  }

  async *converse(requests: AsyncIterable<ConverseRequest>) {
    for await (const request of requests) {
      checkSentence(request.sentence);
      yield { sentence: reply(request.sentence) };
      if (isGoodbye(request.sentence)) {
        // Eliza ends the conversation; the client's remaining requests go unread.
        return;
      }
    }
  }

  async *introduce(request: IntroduceRequest, context: HandlerContext) {
    checkSentence(request.name);
    const sentences = introduction(request.name);
    for (const [i, sentence] of sentences.entries()) {
      if (i > 0 && this.#introDelayMs > 0) {
        // The signal aborts when the client goes away or its deadline passes.
        await sleep(this.#introDelayMs, undefined, { signal: context.signal });
      }
      yield { sentence };
    }
    context.responseTrailers.set("eliza-sentences", String(sentences.length));
  }

  async pontificate(requests: AsyncIterable<PontificateRequest>) {
    const heard: string[] = [];
    for await (const request of requests) {
      checkSentence(request.sentence);
      if (heard.length >= 100) {
        throw new ConnectError("Eliza stops listening after 100 sentences", Code.ResourceExhausted);
      }
      heard.push(request.sentence);
    }
    return { sentence: respondToMonologue(heard) };
  }
}

function checkSentence(sentence: string): void {
  if (sentence.length > MAX_SENTENCE_LENGTH) {
    throw new ConnectError(
      `sentences are limited to ${MAX_SENTENCE_LENGTH} characters`,
      Code.InvalidArgument,
    );
  }
}
