export { protocGenConnectTs } from "./plugin.js";
export { runtimePackage } from "./runtime-symbols.js";
