import { readFileSync } from "node:fs";
import { createEcmaScriptPlugin, type Plugin } from "@bufbuild/protoplugin";
import { generate } from "./generate.js";

// The version printed in each file's header comes from the package itself, so
// a release never ships with a stale number.
const { version } = JSON.parse(
  readFileSync(new URL("../package.json", import.meta.url), "utf8"),
) as { version: string };

/**
 * The protoc plugin `protoc-gen-connect-ts`. It accepts protoplugin's standard
 * options (`target=ts`, `target=js+dts`, `import_extension=js`,
 * `js_import_style`, `keep_empty_files`, `ts_nocheck`, `elide_plugin_version`).
 * JavaScript and declaration files are written directly rather than
 * transpiled, so they match the TypeScript output line for line.
 */
export const protocGenConnectTs: Plugin = createEcmaScriptPlugin({
  name: "protoc-gen-connect-ts",
  version: `v${version}`,
  generateTs: (schema) => generate(schema, "ts"),
  generateJs: (schema) => generate(schema, "js"),
  generateDts: (schema) => generate(schema, "dts"),
});
