/**
 * Hands out identifiers that are unique within one scope (a file's exports, or
 * a class's members). A name already taken gets `$` appended until it is free:
 * `$` cannot appear in Protobuf identifiers, so the result never collides with
 * a name derived from the schema.
 */
export class NameAllocator {
  readonly #taken = new Set<string>();

  /** Claims `name`, or the nearest free variant of it, and returns what was claimed. */
  claim(name: string): string {
    let candidate = name;
    while (this.#taken.has(candidate)) {
      candidate += "$";
    }
    this.#taken.add(candidate);
    return candidate;
  }
}

/** `say` -> `Say`. */
export function upperFirst(name: string): string {
  return name.length === 0 ? name : name[0]!.toUpperCase() + name.slice(1);
}

/** `ElizaService` -> `elizaService`. */
export function lowerFirst(name: string): string {
  return name.length === 0 ? name : name[0]!.toLowerCase() + name.slice(1);
}
