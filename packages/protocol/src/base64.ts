// Base64 without Node's Buffer, so the package runs on any runtime.
const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const urlAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const decodeTable = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) {
  decodeTable[alphabet.charCodeAt(i)] = i;
  decodeTable[urlAlphabet.charCodeAt(i)] = i;
}

/** Encodes bytes as base64, standard alphabet; `url` selects the URL-safe alphabet without padding. */
export function base64Encode(bytes: Uint8Array, url = false): string {
  const table = url ? urlAlphabet : alphabet;
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += table[n >> 18]! + table[(n >> 12) & 63]! + table[(n >> 6) & 63]! + table[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += table[n >> 18]! + table[(n >> 12) & 63]!;
    if (!url) out += "==";
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += table[n >> 18]! + table[(n >> 12) & 63]! + table[(n >> 6) & 63]!;
    if (!url) out += "=";
  }
  return out;
}

/**
 * Decodes base64 in either alphabet, padded or not. Throws a `TypeError` on
 * characters outside the alphabets or an impossible length.
 */
export function base64Decode(text: string): Uint8Array {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 61 /* = */) end--;
  if (end % 4 === 1) throw new TypeError("invalid base64 length");
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? decodeTable[c]! : -1;
    if (v < 0) throw new TypeError("invalid base64 character");
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}
