import { create } from "@bufbuild/protobuf";
import { type Any, AnySchema } from "@bufbuild/protobuf/wkt";
import {
  Code,
  ConnectError,
  type ErrorDetail,
  type MessageDetail,
  type Metadata,
} from "@connect-ts/protocol";
import {
  type Error as ConformanceError,
  ErrorSchema,
  type Header,
  HeaderSchema,
} from "../gen/connectrpc/conformance/v1/service_pb.js";

const typeUrlPrefix = "type.googleapis.com/";

/** Headers as the suite describes them, one entry per name with all its values. */
export function headersFromMetadata(metadata: Metadata): Header[] {
  const out: Header[] = [];
  for (const [name, values] of metadata.entries()) {
    out.push(create(HeaderSchema, { name, value: values }));
  }
  return out;
}

/** Appends the suite's header definitions to `target`. */
export function appendHeaders(target: Metadata, headers: readonly Header[]): Metadata {
  for (const header of headers) {
    for (const value of header.value) target.append(header.name, value);
  }
  return target;
}

/** Packs an error detail as `google.protobuf.Any`. */
export function anyFromDetail(detail: ErrorDetail): Any {
  return create(AnySchema, { typeUrl: typeUrlPrefix + detail.type, value: detail.value });
}

/** Unpacks `google.protobuf.Any` into an error detail (the type name after the last slash). */
export function detailFromAny(any: Any): ErrorDetail {
  const slash = any.typeUrl.lastIndexOf("/");
  return { type: any.typeUrl.slice(slash + 1), value: any.value };
}

/**
 * The suite's error message for a `ConnectError`. The suite's code numbers
 * are the same as ours; the message is the text without the `[code]` prefix.
 */
export function errorToProto(error: ConnectError): ConformanceError {
  return create(ErrorSchema, {
    code: error.code as number,
    message: error.rawMessage,
    details: error.details.map(anyFromDetail),
  });
}

/** A `ConnectError` built from the suite's error definition, with extra details appended. */
export function errorFromProto(
  definition: ConformanceError,
  extraDetails: ReadonlyArray<ErrorDetail | MessageDetail> = [],
  metadata?: Metadata,
): ConnectError {
  const code = definition.code === 0 ? Code.Unknown : (definition.code as number as Code);
  return new ConnectError(definition.message ?? "", code, {
    details: [...definition.details.map(detailFromAny), ...extraDetails],
    metadata,
  });
}
