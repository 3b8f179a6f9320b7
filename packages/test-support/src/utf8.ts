const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** UTF-8 bytes of a string. */
export function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** The string a UTF-8 byte array holds. */
export function text(data: Uint8Array): string {
  return decoder.decode(data);
}
