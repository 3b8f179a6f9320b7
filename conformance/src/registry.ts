import { createRegistry } from "@bufbuild/protobuf";
import { file_connectrpc_conformance_v1_client_compat } from "../gen/connectrpc/conformance/v1/client_compat_pb.js";
import { file_connectrpc_conformance_v1_service } from "../gen/connectrpc/conformance/v1/service_pb.js";

/**
 * The suite's message types. Payloads echo requests as `google.protobuf.Any`
 * and errors carry details of these types; the JSON codec needs to know them
 * to write and read those fields.
 */
export const conformanceRegistry = createRegistry(
  file_connectrpc_conformance_v1_service,
  file_connectrpc_conformance_v1_client_compat,
);
