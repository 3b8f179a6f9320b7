import {
  type DescMessage,
  type MessageShape,
  type Registry,
  create,
  fromBinary,
  toBinary,
  type MessageInitShape,
} from "@bufbuild/protobuf";
import { Code, codeToString, isCode } from "./code.js";
import { Metadata, type MetadataInit } from "./metadata.js";

/**
 * One error detail, as `google.protobuf.Any` carries it: a fully qualified type
 * name and the message's binary encoding. Details whose type this process does
 * not know stay as raw bytes and still travel end to end.
 */
export interface ErrorDetail {
  /** Fully qualified message name, without the `type.googleapis.com/` prefix. */
  readonly type: string;
  /** The binary Protobuf encoding of the message. */
  readonly value: Uint8Array;
  /** Optional JSON form a server may add for people reading the wire (Connect `debug`). */
  readonly debug?: unknown;
}

/** A detail given as a Protobuf message with its schema, packed on construction. */
export interface MessageDetail<Desc extends DescMessage = DescMessage> {
  readonly desc: Desc;
  readonly value: MessageInitShape<Desc>;
}

/** Options of the {@link ConnectError} constructor. */
export interface ConnectErrorOptions {
  /** Headers and trailers that came with the error, or are to be sent with it. */
  metadata?: MetadataInit;
  /** Error details, raw or as messages to pack. */
  details?: ReadonlyArray<ErrorDetail | MessageDetail>;
  /** The underlying error, kept for debugging. */
  cause?: unknown;
}

/**
 * The one error type of connect-ts: every failure that reaches user code, on
 * either end, is a `ConnectError` with a {@link Code}. `message` reads
 * `[code] text`; the text alone is `rawMessage`.
 */
export class ConnectError extends Error {
  /** The status code. */
  readonly code: Code;
  /** The message without the `[code]` prefix; this is what goes on the wire. */
  readonly rawMessage: string;
  /** Headers and trailers of the failed call, or to send with it. */
  readonly metadata: Metadata;
  /** Details, each a packed `google.protobuf.Any`. */
  readonly details: ErrorDetail[];
  override name = "ConnectError";

  constructor(message: string, code: Code = Code.Unknown, options: ConnectErrorOptions = {}) {
    super(message.length > 0 ? `[${codeToString(code)}] ${message}` : `[${codeToString(code)}]`, {
      cause: options.cause,
    });
    // Only the 16 codes exist on the wire; anything else (a number from an
    // untyped caller, a decoded field) is an unknown error, not a new code.
    this.code = isCode(code) ? code : Code.Unknown;
    this.rawMessage = message;
    this.metadata = new Metadata(options.metadata);
    this.details = (options.details ?? []).map(packDetail);
  }

  /**
   * Turns anything thrown into a `ConnectError`. A `ConnectError` is returned as
   * it is; an `AbortError` becomes `canceled`, a `TimeoutError` becomes
   * `deadline_exceeded`, anything else gets `code` with the original as `cause`.
   */
  static from(reason: unknown, code: Code = Code.Unknown): ConnectError {
    if (reason instanceof ConnectError) return reason;
    if (isErrorNamed(reason, "AbortError")) {
      return new ConnectError(errorText(reason, "operation was aborted"), Code.Canceled, {
        cause: reason,
      });
    }
    if (isErrorNamed(reason, "TimeoutError")) {
      return new ConnectError(errorText(reason, "deadline exceeded"), Code.DeadlineExceeded, {
        cause: reason,
      });
    }
    return new ConnectError(errorText(reason, String(reason)), code, { cause: reason });
  }

  /**
   * Decodes the details of the given message type (or of every type a registry
   * knows). Details of other types are skipped.
   */
  findDetails<Desc extends DescMessage>(typeOrRegistry: Desc): MessageShape<Desc>[];
  findDetails(typeOrRegistry: Registry): MessageShape<DescMessage>[];
  findDetails(typeOrRegistry: DescMessage | Registry): MessageShape<DescMessage>[] {
    const out: MessageShape<DescMessage>[] = [];
    for (const detail of this.details) {
      const desc =
        "kind" in typeOrRegistry && typeOrRegistry.kind === "message"
          ? typeOrRegistry.typeName === detail.type
            ? typeOrRegistry
            : undefined
          : (typeOrRegistry as Registry).getMessage(detail.type);
      if (desc === undefined) continue;
      try {
        out.push(fromBinary(desc, detail.value));
      } catch {
        // A detail that does not decode is skipped, as an unknown type would be.
      }
    }
    return out;
  }
}

function packDetail(detail: ErrorDetail | MessageDetail): ErrorDetail {
  if ("desc" in detail) {
    return {
      type: detail.desc.typeName,
      value: toBinary(detail.desc, create(detail.desc, detail.value)),
    };
  }
  return detail;
}

function isErrorNamed(value: unknown, name: string): value is Error {
  return typeof value === "object" && value !== null && (value as { name?: unknown }).name === name;
}

function errorText(value: unknown, fallback: string): string {
  if (value instanceof Error && value.message.length > 0) return value.message;
  return fallback;
}
