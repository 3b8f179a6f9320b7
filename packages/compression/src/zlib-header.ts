/**
 * Tells a zlib stream (RFC 1950: method 8, a window of at most 32 KiB and a
 * valid header checksum) from a raw DEFLATE one (RFC 1951), which some peers
 * send under the name `deflate`.
 */
export function hasZlibHeader(data: Uint8Array): boolean {
  if (data.length < 2) return false;
  const cmf = data[0]!;
  return (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && ((cmf << 8) | data[1]!) % 31 === 0;
}
