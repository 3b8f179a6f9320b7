import type { DescMethod, DescService } from "@bufbuild/protobuf";
import type { GeneratedFile, Printable } from "@bufbuild/protoplugin";
import { methodRemarks, paragraphs, prose, protoComments, trailerTags } from "./doc-text.js";
import { printMember, type Target } from "./print-member.js";
import type { RuntimeSymbols } from "./runtime-symbols.js";
import type { ServiceNames } from "./service-names.js";

const contextParam =
  "@param context - The request headers, the deadline (`deadline`, `timeRemaining()`) and a " +
  "`signal` that aborts when the client goes away or the deadline passes; set " +
  "`responseHeaders` and `responseTrailers` on it.";

/**
 * Prints the interface an implementation of the service provides, one method
 * per RPC keyed by the name the runtime looks up (the method's `localName`),
 * and the function that registers an implementation for the server adapters.
 * JavaScript has no interfaces, so there only the function is written.
 */
export function generateImplementation(
  f: GeneratedFile,
  target: Target,
  service: DescService,
  names: ServiceNames,
  rt: RuntimeSymbols,
): void {
  if (target !== "js") {
    printInterface(f, service, names, rt);
    f.print();
  }
  f.print(
    f.jsDoc(
      paragraphs(
        prose(
          `Registers an implementation of \`${service.typeName}\` for the server adapters ` +
            "of `@connect-ts/server`. Methods left out answer `unimplemented`.",
        ),
        prose(
          "@param implementation - The methods to serve: an object literal, or a class " +
            "instance (its methods are bound to it, so `this` works in them).",
        ),
        trailerTags(service, service.deprecated),
      ),
    ),
  );
  printMember(
    f,
    target,
    f.export(target === "dts" ? "declare function" : "function", names.register),
    [{ name: "implementation", type: ["Partial<", names.implementation, ">"] }],
    rt.ServiceRegistration,
    registrationBody(f, target, service, names, rt),
    "",
  );
}

/**
 * The body of the registration function. Each method is bound to the
 * implementation, so the methods of a class instance keep their `this` when
 * the router calls them, and only the service's own methods are passed on.
 * Methods left out stay absent rather than `undefined`, which keeps the code
 * valid under `exactOptionalPropertyTypes`.
 */
function registrationBody(
  f: GeneratedFile,
  target: Target,
  service: DescService,
  names: ServiceNames,
  rt: RuntimeSymbols,
): Printable {
  const call: Printable = [rt.registerService, "(", f.importSchema(service)];
  if (service.methods.length === 0) {
    return ["return ", call, ", implementation);"];
  }
  const lines: Printable[] = [
    target === "js"
      ? "const bound = {};\n"
      : ["const bound: Partial<", names.implementation, "> = {};\n"],
  ];
  for (const method of service.methods) {
    const key = method.localName;
    lines.push(
      `  if (implementation.${key} !== undefined) {\n`,
      `    bound.${key} = implementation.${key}.bind(implementation);\n`,
      "  }\n",
    );
  }
  lines.push("  return ", call, ", bound);");
  return lines;
}

function printInterface(
  f: GeneratedFile,
  service: DescService,
  names: ServiceNames,
  rt: RuntimeSymbols,
): void {
  f.print(
    f.jsDoc(
      paragraphs(
        protoComments(service),
        prose(
          `What an implementation of \`${service.typeName}\` provides: one method per RPC. ` +
            `Pass it (or a part of it) to {@link ${names.register}} and mount the result on ` +
            "a server; RPCs left out answer `unimplemented`. A method fails the call by " +
            "throwing a `ConnectError` (any other error reaches the client as `unknown`); a streaming " +
            "method ends its stream with an error by throwing after what it has yielded.",
        ),
        trailerTags(service, service.deprecated),
      ),
    ),
  );
  f.print(f.export("interface", names.implementation), " {");
  service.methods.forEach((method, i) => {
    if (i > 0) {
      f.print();
    }
    printMethod(f, method, rt);
  });
  f.print("}");
}

function printMethod(f: GeneratedFile, method: DescMethod, rt: RuntimeSymbols): void {
  const input = f.importShape(method.input);
  const outputInit: Printable = [
    rt.MessageInitShape,
    "<typeof ",
    f.importSchema(method.output, true),
    ">",
  ];
  let params: Printable;
  let returns: Printable;
  let requestDoc: string;
  let returnsDoc: string;
  switch (method.methodKind) {
    case "unary":
      params = ["request: ", input];
      returns = [outputInit, " | Promise<", outputInit, ">"];
      requestDoc = "@param request - The request message.";
      returnsDoc = "@returns The response, as a message or an init object, or a promise of one.";
      break;
    case "server_streaming":
      params = ["request: ", input];
      returns = ["AsyncIterable<", outputInit, ">"];
      requestDoc = "@param request - The request message.";
      returnsDoc =
        "@returns The responses, typically from an `async function*`; each is sent as it is " +
        "yielded.";
      break;
    case "client_streaming":
      params = ["requests: AsyncIterable<", input, ">"];
      returns = [outputInit, " | Promise<", outputInit, ">"];
      requestDoc =
        "@param requests - The request messages as they arrive; iteration ends when the " +
        "client has sent its last.";
      returnsDoc = "@returns The response, as a message or an init object, or a promise of one.";
      break;
    case "bidi_streaming":
      params = ["requests: AsyncIterable<", input, ">"];
      returns = ["AsyncIterable<", outputInit, ">"];
      requestDoc =
        "@param requests - The request messages as they arrive; over HTTP/2 responses can be " +
        "yielded before the client has finished sending.";
      returnsDoc =
        "@returns The responses, typically from an `async function*`; each is sent as it is " +
        "yielded.";
      break;
  }
  f.print(
    f.jsDoc(
      paragraphs(
        protoComments(method),
        methodRemarks(method),
        prose([requestDoc, contextParam, returnsDoc].join("\n")),
        trailerTags(method, method.deprecated || method.parent.deprecated),
      ),
      "  ",
    ),
  );
  f.print(
    "  ",
    method.localName,
    "(",
    params,
    ", context: ",
    rt.HandlerContext,
    "): ",
    returns,
    ";",
  );
}
