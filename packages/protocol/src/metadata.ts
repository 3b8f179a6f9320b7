import { base64Decode, base64Encode } from "./base64.js";

/**
 * What may initialise {@link Metadata}: another instance, a record whose values
 * are strings or lists of strings, or a list of name/value pairs.
 */
export type MetadataInit =
  | Metadata
  | Record<string, string | readonly string[] | undefined>
  | Iterable<readonly [string, string]>;

/**
 * HTTP headers or trailers: names are case-insensitive (kept lower-case),
 * a name may carry several values, and values keep the order they were added in.
 *
 * Names ending in `-bin` carry binary values, base64-encoded on the wire; use
 * {@link Metadata.getBinary} and {@link Metadata.appendBinary} for them.
 *
 * A plain class rather than the Fetch API's `Headers`: that type folds repeated
 * values into one comma-joined string, which loses information for gRPC
 * metadata, and is slower to build on the hot path.
 */
export class Metadata implements Iterable<[string, string]> {
  // Made on the first write: a call creates several instances that stay
  // empty (trailers of a unary answer, headers nobody sets), and a Map is
  // one of the larger objects of a small call.
  #map: Map<string, string[]> | undefined = undefined;

  constructor(init?: MetadataInit) {
    if (init !== undefined) this.merge(init);
  }

  /**
   * Builds metadata from a flat list of names and values, `[name, value,
   * name, value, ...]`, as Node's `rawHeaders` lists them. HTTP/2
   * pseudo-headers (names starting with `:`) are left out: they are not
   * metadata. A faster start than {@link Metadata.append} per header.
   */
  static fromRawHeaders(raw: readonly string[]): Metadata {
    const out = new Metadata();
    const n = raw.length - 1;
    if (n < 1) return out;
    const map = new Map<string, string[]>();
    for (let i = 0; i < n; i += 2) {
      const name = raw[i]!;
      if (name.charCodeAt(0) === 58 /* ":" */) continue;
      const key = lowerName(name);
      const values = map.get(key);
      if (values === undefined) map.set(key, [raw[i + 1]!]);
      else values.push(raw[i + 1]!);
    }
    if (map.size > 0) out.#map = map;
    return out;
  }

  /** The map, made now if this is the first write. */
  #writable(): Map<string, string[]> {
    let map = this.#map;
    if (map === undefined) {
      map = new Map();
      this.#map = map;
    }
    return map;
  }

  /** The number of distinct names. */
  get size(): number {
    return this.#map === undefined ? 0 : this.#map.size;
  }

  /** Values of `name` joined by `", "`, as HTTP folds them, or `undefined` if absent. */
  get(name: string): string | undefined {
    const map = this.#map;
    if (map === undefined) return undefined;
    const values = map.get(lowerName(name));
    if (values === undefined) return undefined;
    return values.length === 1 ? values[0] : values.join(", ");
  }

  /** Every value of `name`, in the order added; an empty list if absent. */
  getAll(name: string): readonly string[] {
    return this.#map?.get(lowerName(name)) ?? [];
  }

  /** Tells whether `name` has at least one value. */
  has(name: string): boolean {
    return this.#map?.has(lowerName(name)) === true;
  }

  /** Replaces all values of `name`. */
  set(name: string, value: string | readonly string[]): this {
    this.#writable().set(lowerName(name), typeof value === "string" ? [value] : [...value]);
    return this;
  }

  /** Adds a value to `name`, after any it already has. */
  append(name: string, value: string): this {
    const key = lowerName(name);
    const map = this.#writable();
    const values = map.get(key);
    if (values === undefined) map.set(key, [value]);
    else values.push(value);
    return this;
  }

  /** Removes `name` and all its values. */
  delete(name: string): boolean {
    return this.#map?.delete(lowerName(name)) === true;
  }

  /** Removes every entry. */
  clear(): void {
    this.#map = undefined;
  }

  /**
   * Decodes the first value of a binary (`-bin`) header. Accepts padded and
   * unpadded base64, standard and URL-safe, as gRPC peers send all of them.
   */
  getBinary(name: string): Uint8Array | undefined {
    const value = this.getAll(name)[0];
    return value === undefined ? undefined : base64Decode(value);
  }

  /** Decodes every value of a binary (`-bin`) header, splitting comma-folded values. */
  getAllBinary(name: string): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const value of this.getAll(name)) {
      for (const part of value.split(",")) out.push(base64Decode(part.trim()));
    }
    return out;
  }

  /** Appends a binary value, base64-encoded without padding as Connect and gRPC advise. The name must end in `-bin`. */
  appendBinary(name: string, value: Uint8Array): this {
    if (!name.toLowerCase().endsWith("-bin")) {
      throw new TypeError(`binary header "${name}" must end in -bin`);
    }
    return this.append(name, base64Encode(value).replace(/=+$/, ""));
  }

  /** Adds every value of `init` to this instance (appending, not replacing). */
  merge(init: MetadataInit): this {
    if (init instanceof Metadata) {
      const from = init.#map;
      // Merging empty metadata, the usual case for trailers, costs nothing.
      if (from === undefined || from.size === 0) return this;
      const map = this.#writable();
      for (const [key, values] of from) {
        const own = map.get(key);
        if (own === undefined) map.set(key, values.slice());
        else {
          // Bounded by the length at the start: merging an instance into itself doubles it.
          const n = values.length;
          for (let i = 0; i < n; i++) own.push(values[i]!);
        }
      }
    } else if (isIterable(init)) {
      for (const [name, value] of init) this.append(name, value);
    } else {
      for (const name of Object.keys(init)) {
        const value = init[name];
        if (value === undefined) continue;
        if (typeof value === "string") this.append(name, value);
        else for (const v of value) this.append(name, v);
      }
    }
    return this;
  }

  /** Distinct names, lower-case, in insertion order. */
  keys(): IterableIterator<string> {
    return (this.#map ?? emptyMap).keys();
  }

  /** Name/value-list pairs, one per distinct name. */
  entries(): IterableIterator<[string, string[]]> {
    return (this.#map ?? emptyMap).entries();
  }

  /** One `[name, value]` pair per value, names lower-case. */
  *[Symbol.iterator](): IterableIterator<[string, string]> {
    if (this.#map === undefined) return;
    for (const [key, values] of this.#map) {
      for (const value of values) yield [key, value];
    }
  }

  /** Calls `fn` once per value. */
  forEach(fn: (value: string, name: string) => void): void {
    if (this.#map === undefined) return;
    for (const [key, values] of this.#map) {
      for (const value of values) fn(value, key);
    }
  }

  /** A plain record, repeated values as arrays: handy for logging and Node's `writeHead`. */
  toRecord(): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    if (this.#map === undefined) return out;
    for (const [key, values] of this.#map)
      out[key] = values.length === 1 ? values[0]! : values.slice();
    return out;
  }
}

// Shared by every empty instance for iteration; never written to.
const emptyMap: ReadonlyMap<string, string[]> = new Map();

/**
 * A header name in lower case. Names usually arrive lower-case already
 * (HTTP/2 requires it), so a scan that finds no upper-case letter spares
 * the conversion.
 */
function lowerName(name: string): string {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if ((c >= 65 && c <= 90) || c > 127) return name.toLowerCase();
  }
  return name;
}

function isIterable(value: object): value is Iterable<readonly [string, string]> {
  return typeof (value as Partial<Iterable<unknown>>)[Symbol.iterator] === "function";
}
