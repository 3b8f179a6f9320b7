import {
  createRouter,
  type Router,
  type RouterOptions,
  type ServiceRegistration,
} from "@connect-ts/protocol";

/** Accepts a ready router, or builds one from service registrations. */
export function resolveRouter(
  services: readonly ServiceRegistration[] | Router,
  options: RouterOptions,
): Router {
  return isRouter(services) ? services : createRouter(services, options);
}

function isRouter(value: readonly ServiceRegistration[] | Router): value is Router {
  return !Array.isArray(value) && typeof (value as Router).handle === "function";
}
