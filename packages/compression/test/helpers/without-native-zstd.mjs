// Registered with --import: makes @mongodb-js/zstd unresolvable, as on a
// machine where the optional dependency did not install.
import { register } from "node:module";

register(
  `data:text/javascript,${encodeURIComponent(`
export async function resolve(specifier, context, next) {
  if (specifier.startsWith("@mongodb-js/zstd")) {
    const error = new Error("Cannot find package " + specifier);
    error.code = "ERR_MODULE_NOT_FOUND";
    throw error;
  }
  return next(specifier, context);
}`)}`,
);
