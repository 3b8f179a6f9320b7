import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { getComments } from "@bufbuild/protoplugin";

/**
 * The comments written above (and after) an element in the .proto source,
 * one leading space removed from each line as protoc keeps it. Empty when the
 * element is undocumented. `*\/` is escaped later, when the block is printed.
 */
export function protoComments(desc: DescService | DescMethod): string {
  const comments = getComments(desc);
  const parts = [comments.leading, comments.trailing]
    .filter((c): c is string => c !== undefined && c.trim().length > 0)
    .map((c) =>
      c
        .replace(/\n$/, "")
        .split("\n")
        .map((line) => (line.startsWith(" ") ? line.slice(1) : line))
        .join("\n"),
    );
  return parts.join("\n\n");
}

/** Width that generated prose is wrapped to, not counting the ` * ` prefix. */
const WRAP_WIDTH = 80;

/**
 * Wraps generated prose (never proto comments, whose line breaks are the
 * author's) so the TSDoc reads well in the file too. Each input line is
 * wrapped on its own; continuation lines of a `@tag` line are indented.
 */
export function prose(text: string): string {
  return text
    .split("\n")
    .map((line) => {
      const indent = line.startsWith("@") ? "  " : "";
      const out: string[] = [];
      let current = "";
      for (const word of words(line)) {
        const candidate = current.length === 0 ? word : `${current} ${word}`;
        if (candidate.length > WRAP_WIDTH && current.length > 0) {
          out.push(current);
          current = indent + word;
        } else {
          current = candidate;
        }
      }
      out.push(current);
      return out.join("\n");
    })
    .join("\n");
}

/** Splits a line at spaces, keeping each `code span` whole so it never wraps inside. */
function words(line: string): string[] {
  const out: string[] = [];
  let open = false;
  for (const piece of line.split(" ")) {
    if (open) {
      out[out.length - 1] += ` ${piece}`;
    } else {
      out.push(piece);
    }
    if ((piece.split("`").length - 1) % 2 === 1) {
      open = !open;
    }
  }
  return out;
}

/** Joins paragraphs of a TSDoc block, skipping empty ones. */
export function paragraphs(...parts: (string | undefined)[]): string {
  return parts.filter((p): p is string => p !== undefined && p.length > 0).join("\n\n");
}

/** The call kind in words, for the reader of the generated code. */
export function kindText(method: DescMethod): string {
  switch (method.methodKind) {
    case "unary":
      return "Unary RPC";
    case "server_streaming":
      return "Server-streaming RPC";
    case "client_streaming":
      return "Client-streaming RPC";
    case "bidi_streaming":
      return "Bidirectional-streaming RPC";
  }
}

/**
 * What the idempotency level means for callers. The level itself travels in
 * the method descriptor that protoc-gen-es embeds, which is what the runtime
 * reads; this sentence only makes it visible in the editor.
 */
export function idempotencyText(method: DescMethod): string | undefined {
  switch (method.idempotency) {
    case MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS:
      return method.methodKind === "unary"
        ? "No side effects (`NO_SIDE_EFFECTS`): eligible for Connect GET when the client " +
            "enables `useHttpGet`, and safe to retry."
        : "No side effects (`NO_SIDE_EFFECTS`): safe to retry.";
    case MethodOptions_IdempotencyLevel.IDEMPOTENT:
      return "Idempotent (`IDEMPOTENT`): safe to retry.";
    default:
      return undefined;
  }
}

/** The `@remarks` paragraph shared by a method's client and server docs. */
export function methodRemarks(method: DescMethod): string {
  const sentences = [
    `${kindText(method)}, served at \`/${method.parent.typeName}/${method.name}\`.`,
  ];
  const idempotency = idempotencyText(method);
  if (idempotency !== undefined) {
    sentences.push(idempotency);
  }
  return `@remarks\n${prose(sentences.join(" "))}`;
}

/** The closing tags: where it came from, and whether it is deprecated. */
export function trailerTags(desc: DescService | DescMethod, deprecated: boolean): string {
  const origin = `@generated from ${desc.kind === "service" ? "service" : "rpc"} ${qualified(desc)}`;
  return deprecated ? `${origin}\n@deprecated` : origin;
}

function qualified(desc: DescService | DescMethod): string {
  return desc.kind === "service" ? desc.typeName : `${desc.parent.typeName}.${desc.name}`;
}
