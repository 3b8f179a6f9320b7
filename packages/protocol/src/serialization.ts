import {
  createRegistry,
  type DescFile,
  type DescMessage,
  type DescService,
  fromJsonString,
  type MessageShape,
  type Registry,
  toJsonString,
} from "@bufbuild/protobuf";
import { binaryCodec } from "./binary-codec.js";
import type { CodecName } from "./client-types.js";
import { Code } from "./code.js";
import { ConnectError } from "./connect-error.js";

/** Turns messages of one type into bytes and back, in one codec. */
export interface Serializer<T> {
  /** Decodes a message; a malformed one throws a `ConnectError` with the code given at creation. */
  parse(data: Uint8Array): T;
  /** Encodes a message; failure (e.g. an `Any` whose type is unknown in JSON) throws `internal`. */
  serialize(message: T): Uint8Array;
}

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder("utf-8", { fatal: true });

/**
 * Builds the serializer of a message type for a codec. Made once per method
 * and direction, never per call.
 *
 * @param parseErrorCode the code of malformed input: `invalid_argument` for
 *   requests a server reads, `internal` for responses a client reads.
 */
export function createSerializer<Desc extends DescMessage>(
  desc: Desc,
  codec: CodecName,
  registry: Registry | undefined,
  parseErrorCode: Code,
): Serializer<MessageShape<Desc>> {
  if (codec === "json") {
    const readOptions = { registry, ignoreUnknownFields: true };
    const writeOptions = { registry };
    return {
      parse(data) {
        try {
          return fromJsonString(desc, utf8Strict.decode(data), readOptions);
        } catch (e) {
          throw parseError(desc, "json", e, parseErrorCode);
        }
      },
      serialize(message) {
        try {
          return utf8.encode(toJsonString(desc, message, writeOptions));
        } catch (e) {
          throw serializeError(desc, "json", e);
        }
      },
    };
  }
  const binary = binaryCodec(desc);
  return {
    parse(data) {
      try {
        return binary.decode(data);
      } catch (e) {
        throw parseError(desc, "proto", e, parseErrorCode);
      }
    },
    serialize(message) {
      try {
        return binary.encode(message);
      } catch (e) {
        throw serializeError(desc, "proto", e);
      }
    },
  };
}

function parseError(desc: DescMessage, codec: string, cause: unknown, code: Code): ConnectError {
  const text = cause instanceof Error ? `: ${cause.message}` : "";
  return new ConnectError(`cannot decode ${desc.typeName} from ${codec}${text}`, code, { cause });
}

function serializeError(desc: DescMessage, codec: string, cause: unknown): ConnectError {
  const text = cause instanceof Error ? `: ${cause.message}` : "";
  return new ConnectError(`cannot encode ${desc.typeName} to ${codec}${text}`, Code.Internal, {
    cause,
  });
}

/**
 * The registry a service's JSON codec uses for `google.protobuf.Any`: every
 * type of the file that declares the service and of the files it imports,
 * then the user's registry, which wins on conflicts. Built once per service.
 */
export function serviceRegistry(service: DescService, user: Registry | undefined): Registry {
  const files: DescFile[] = [];
  const seen = new Set<DescFile>();
  const visit = (file: DescFile) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const dep of file.dependencies) visit(dep);
    files.push(file);
  };
  visit(service.file);
  return user === undefined ? createRegistry(...files) : createRegistry(...files, user);
}
