import type { Schema } from "@bufbuild/protoplugin";
import type { Target } from "./print-member.js";
import { generateClient } from "./generate-client.js";
import { generateImplementation } from "./generate-implementation.js";
import { NameAllocator } from "./name-allocator.js";
import { runtimeSymbols } from "./runtime-symbols.js";
import { serviceNames } from "./service-names.js";

/**
 * Writes `<name>_connect.ts` (or `.js`, or `.d.ts`, after the target) for
 * every requested file: per service a client class, an implementation
 * interface and a registration function. A file without services gets only the header, which protoplugin
 * drops unless `keep_empty_files` is set. The output depends only on the
 * request, so the same input gives byte-identical files.
 */
export function generate(schema: Schema, target: Target): void {
  for (const file of schema.files) {
    const f = schema.generateFile(`${file.name}_connect.${target === "dts" ? "d.ts" : target}`);
    f.preamble(file);
    const rt = runtimeSymbols(f);
    const scope = new NameAllocator();
    file.services.forEach((service, i) => {
      if (i > 0) {
        f.print();
      }
      const names = serviceNames(service, scope);
      generateClient(f, target, service, names, rt);
      f.print();
      generateImplementation(f, target, service, names, rt);
    });
  }
}
