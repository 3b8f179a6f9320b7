import type { GeneratedFile, ImportSymbol } from "@bufbuild/protoplugin";

/** The package the generated code runs on. */
export const runtimePackage = "@connect-ts/protocol";

/** The symbols a generated file may import, created lazily so unused ones add no import. */
export interface RuntimeSymbols {
  readonly RpcClient: ImportSymbol;
  readonly registerService: ImportSymbol;
  readonly Transport: ImportSymbol;
  readonly ClientOptions: ImportSymbol;
  readonly CallOptions: ImportSymbol;
  readonly UnaryOutput: ImportSymbol;
  readonly StreamOutput: ImportSymbol;
  readonly RequestStream: ImportSymbol;
  readonly HandlerContext: ImportSymbol;
  readonly ServiceRegistration: ImportSymbol;
  readonly MessageInitShape: ImportSymbol;
}

/** Binds the runtime symbols to a file; type-only ones import with `import type`. */
export function runtimeSymbols(f: GeneratedFile): RuntimeSymbols {
  const type = (name: string) => f.import(name, runtimePackage, true);
  return {
    RpcClient: f.import("RpcClient", runtimePackage),
    registerService: f.import("registerService", runtimePackage),
    Transport: type("Transport"),
    ClientOptions: type("ClientOptions"),
    CallOptions: type("CallOptions"),
    UnaryOutput: type("UnaryOutput"),
    StreamOutput: type("StreamOutput"),
    RequestStream: type("RequestStream"),
    HandlerContext: type("HandlerContext"),
    ServiceRegistration: type("ServiceRegistration"),
    MessageInitShape: f.import("MessageInitShape", "@bufbuild/protobuf", true),
  };
}
