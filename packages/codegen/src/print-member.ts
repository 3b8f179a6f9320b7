import type { GeneratedFile, Printable } from "@bufbuild/protoplugin";

/** What is being written: TypeScript, plain JavaScript, or declarations only. */
export type Target = "ts" | "js" | "dts";

/** A parameter: its name, its type, and whether it may be left out. */
export interface Param {
  readonly name: string;
  readonly type: Printable;
  readonly optional?: boolean;
}

/**
 * Prints one function-like member for the given target: with types and body
 * in TypeScript, with the body only in JavaScript, with types only in a
 * declaration file. Writing all three directly (rather than transpiling the
 * TypeScript) keeps the JavaScript free of down-levelling helpers and the
 * declarations identical to the TypeScript signatures.
 */
export function printMember(
  f: GeneratedFile,
  target: Target,
  head: Printable,
  params: readonly Param[],
  returns: Printable | undefined,
  body: Printable,
  indent = "  ",
): void {
  const list: Printable[] = [];
  params.forEach((p, i) => {
    if (i > 0) {
      list.push(", ");
    }
    if (target === "js") {
      list.push(p.name);
    } else {
      list.push(p.name, p.optional === true ? "?: " : ": ", p.type);
    }
  });
  const returnType: Printable = target === "js" || returns === undefined ? "" : [": ", returns];
  if (target === "dts") {
    f.print(indent, head, "(", list, ")", returnType, ";");
    return;
  }
  f.print(indent, head, "(", list, ")", returnType, " {");
  f.print(indent, "  ", body);
  f.print(indent, "}");
}
