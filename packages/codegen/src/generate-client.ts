import type { DescMethod, DescService } from "@bufbuild/protobuf";
import type { GeneratedFile, Printable } from "@bufbuild/protoplugin";
import { methodRemarks, paragraphs, prose, protoComments, trailerTags } from "./doc-text.js";
import { type Param, printMember, type Target } from "./print-member.js";
import type { RuntimeSymbols } from "./runtime-symbols.js";
import type { ServiceNames } from "./service-names.js";

/**
 * Prints the client class of a service: one RpcClient built in the
 * constructor, and per RPC a high-level method and a `call*` method that both
 * hand the method descriptor to it. The RpcClient sits in an ECMAScript
 * private field, which no RPC name can collide with and which stays out of
 * the class's type.
 */
export function generateClient(
  f: GeneratedFile,
  target: Target,
  service: DescService,
  names: ServiceNames,
  rt: RuntimeSymbols,
): void {
  f.print(
    f.jsDoc(
      paragraphs(
        protoComments(service),
        prose(
          `A client for \`${service.typeName}\`. Each RPC has a method that resolves to ` +
            "the response (or iterates the responses) and rejects with a `ConnectError`, " +
            "and a `call*` method that never throws for RPC errors and also gives the " +
            "response headers and trailers.",
        ),
        trailerTags(service, service.deprecated),
      ),
    ),
  );
  f.print(f.export(target === "dts" ? "declare class" : "class", names.client), " {");
  if (service.methods.length === 0) {
    // Nothing to call yet: keep the constructor's shape, but hold nothing, so
    // the class compiles under `noUnusedLocals` and `noUnusedParameters` too.
    printMember(
      f,
      target,
      "constructor",
      [
        { name: "_transport", type: rt.Transport },
        { name: "_options", type: rt.ClientOptions, optional: true },
      ],
      undefined,
      "// The service has no RPCs.",
    );
    f.print("}");
    return;
  }
  switch (target) {
    case "ts":
      f.print("  readonly #rpc: ", rt.RpcClient, ";");
      break;
    case "js":
      f.print("  #rpc;");
      break;
    case "dts":
      f.print("  #private;");
      break;
  }
  f.print();
  f.print(
    f.jsDoc(
      prose(
        "@param transport - Carries the calls, e.g. `createHttp2Transport({ baseUrl })`.\n" +
          "@param options - Protocol, codec, compression, interceptors and limits for every call.",
      ),
      "  ",
    ),
  );
  printMember(
    f,
    target,
    "constructor",
    [
      { name: "transport", type: rt.Transport },
      { name: "options", type: rt.ClientOptions, optional: true },
    ],
    undefined,
    ["this.#rpc = new ", rt.RpcClient, "(transport, options);"],
  );
  for (const method of service.methods) {
    const member = names.methods.get(method)!;
    f.print();
    printHighLevel(f, target, method, member.high, rt);
    f.print();
    printLowLevel(f, target, method, `${names.client}.${member.high}`, member.call, rt);
  }
  f.print("}");
}

const requestParamDoc =
  "@param request - The request, as a message or an init object (`{ field: value }`).";
const requestsParamDoc =
  "@param requests - The requests, as an async or sync iterable of messages or init objects; " +
  "the request stream ends when it does.";
const optionsParamDoc = "@param options - Headers, timeout and abort signal of this call.";

function streamsRequests(method: DescMethod): boolean {
  return method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming";
}

function streamsResponses(method: DescMethod): boolean {
  return method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming";
}

function isDeprecated(method: DescMethod): boolean {
  return method.deprecated || method.parent.deprecated;
}

/** The parameters every client method takes: the request(s), then the call options. */
function callParams(f: GeneratedFile, method: DescMethod, rt: RuntimeSymbols): Param[] {
  const schema = f.importSchema(method.input, true);
  const input: Param = streamsRequests(method)
    ? { name: "requests", type: [rt.RequestStream, "<typeof ", schema, ">"] }
    : { name: "request", type: [rt.MessageInitShape, "<typeof ", schema, ">"] };
  return [input, { name: "options", type: rt.CallOptions, optional: true }];
}

/** The statement forwarding a call to the RpcClient's method `runtimeMethod`. */
function forward(f: GeneratedFile, method: DescMethod, runtimeMethod: string): Printable {
  const arg = streamsRequests(method) ? "requests" : "request";
  return [
    "return this.#rpc.",
    runtimeMethod,
    "(",
    f.importSchema(method.parent),
    ".method.",
    method.localName,
    ", ",
    arg,
    ", options);",
  ];
}

function printHighLevel(
  f: GeneratedFile,
  target: Target,
  method: DescMethod,
  name: string,
  rt: RuntimeSymbols,
): void {
  const output = f.importShape(method.output);
  const kinds = {
    unary: { call: "unary", returns: ["Promise<", output, ">"] },
    server_streaming: { call: "serverStream", returns: ["AsyncIterable<", output, ">"] },
    client_streaming: { call: "clientStream", returns: ["Promise<", output, ">"] },
    bidi_streaming: { call: "bidiStream", returns: ["AsyncIterable<", output, ">"] },
  } as const;
  const kind = kinds[method.methodKind];
  let returnsDoc: string;
  if (!streamsResponses(method)) {
    returnsDoc = "@returns The response; rejects with a `ConnectError` if the call fails.";
  } else if (method.methodKind === "server_streaming") {
    returnsDoc =
      "@returns The responses; iteration throws a `ConnectError` if the call fails. " +
      "Breaking out of the loop cancels the call.";
  } else {
    returnsDoc =
      "@returns The responses; iteration throws a `ConnectError` if the call fails. " +
      "Over HTTP/2 they arrive while requests are still being sent.";
  }
  f.print(
    f.jsDoc(
      paragraphs(
        protoComments(method),
        methodRemarks(method),
        prose(
          [
            streamsRequests(method) ? requestsParamDoc : requestParamDoc,
            optionsParamDoc,
            returnsDoc,
          ].join("\n"),
        ),
        trailerTags(method, isDeprecated(method)),
      ),
      "  ",
    ),
  );
  printMember(
    f,
    target,
    name,
    callParams(f, method, rt),
    [...kind.returns],
    forward(f, method, kind.call),
  );
}

function printLowLevel(
  f: GeneratedFile,
  target: Target,
  method: DescMethod,
  highRef: string,
  name: string,
  rt: RuntimeSymbols,
): void {
  const output = f.importShape(method.output);
  const returns: Printable = streamsResponses(method)
    ? [rt.StreamOutput, "<", output, ">"]
    : ["Promise<", rt.UnaryOutput, "<", output, ">>"];
  const runtimeMethod = {
    unary: "callUnary",
    server_streaming: "callServerStream",
    client_streaming: "callClientStream",
    bidi_streaming: "callBidiStream",
  }[method.methodKind];
  const returnsDoc = streamsResponses(method)
    ? "@returns The output: iterate it for the responses, then read `error` and `trailers`; " +
      "`headers` fill in as the response arrives. Close it (or `await using` it) to stop early."
    : "@returns The output: `message` or `error`, with the response `headers` and `trailers`.";
  f.print(
    f.jsDoc(
      paragraphs(
        prose(
          `Calls ${method.name} like {@link ${highRef}}, but never throws for RPC errors: ` +
            "the outcome, with the response headers and trailers, is in the returned output.",
        ),
        prose(
          [
            streamsRequests(method) ? requestsParamDoc : requestParamDoc,
            optionsParamDoc,
            returnsDoc,
          ].join("\n"),
        ),
        trailerTags(method, isDeprecated(method)),
      ),
      "  ",
    ),
  );
  printMember(
    f,
    target,
    name,
    callParams(f, method, rt),
    returns,
    forward(f, method, runtimeMethod),
  );
}
