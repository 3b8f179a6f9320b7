import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { safeIdentifier } from "@bufbuild/protoplugin";
import { lowerFirst, NameAllocator, upperFirst } from "./name-allocator.js";

/** The identifiers generated for one service. */
export interface ServiceNames {
  /** The client class, e.g. `ElizaServiceClient`. */
  readonly client: string;
  /** The implementation interface, e.g. `ElizaServiceImplementation`. */
  readonly implementation: string;
  /** The function that registers an implementation, e.g. `elizaService`. */
  readonly register: string;
  /** Per method, the client's high-level and low-level (`call*`) member names. */
  readonly methods: ReadonlyMap<DescMethod, { readonly high: string; readonly call: string }>;
}

/**
 * Client member names that would change how the object behaves: a `then`
 * method makes any object a thenable, so `await`ing or returning the client
 * from an async function would call the RPC instead. (`constructor`,
 * `toString` and the like are escaped by protobuf-es already.)
 */
const behaviouralMembers = new Set(["then"]);

/**
 * Chooses the names for a service's exports (unique within the file, through
 * `fileScope`) and for its client's members. Methods are named in declaration
 * order, high-level names first, so the output is stable and a clash such as
 * `Say` next to `CallSay` resolves the same way every time.
 */
export function serviceNames(service: DescService, fileScope: NameAllocator): ServiceNames {
  const members = new NameAllocator();
  const high = new Map<DescMethod, string>();
  for (const method of service.methods) {
    const name = behaviouralMembers.has(method.localName)
      ? `${method.localName}$`
      : method.localName;
    high.set(method, members.claim(name));
  }
  const methods = new Map<DescMethod, { high: string; call: string }>();
  for (const method of service.methods) {
    methods.set(method, {
      high: high.get(method)!,
      call: members.claim(`call${upperFirst(method.name)}`),
    });
  }
  return {
    client: fileScope.claim(safeIdentifier(`${service.name}Client`)),
    implementation: fileScope.claim(safeIdentifier(`${service.name}Implementation`)),
    register: fileScope.claim(safeIdentifier(lowerFirst(service.name))),
    methods,
  };
}
