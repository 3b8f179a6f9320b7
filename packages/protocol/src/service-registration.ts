import type { DescService } from "@bufbuild/protobuf";
import type { ServiceImpl, ServiceRegistration } from "./handler-types.js";

/**
 * Pairs a service with its implementation for {@link createRouter}. Methods
 * left out answer `unimplemented`. A key that names no method of the service
 * is a mistake caught here, not a silently unreachable function.
 */
export function registerService<S extends DescService>(
  service: S,
  implementation: Partial<ServiceImpl<S>>,
): ServiceRegistration {
  const impl = implementation as Record<string, unknown>;
  for (const key of Object.keys(impl)) {
    if (impl[key] === undefined) continue;
    if (!service.methods.some((m) => m.localName === key)) {
      throw new TypeError(`${service.typeName} has no method "${key}"`);
    }
    if (typeof impl[key] !== "function") {
      throw new TypeError(`implementation of ${service.typeName}.${key} is not a function`);
    }
  }
  return { service, implementation: impl as Readonly<Record<string, Function | undefined>> };
}
