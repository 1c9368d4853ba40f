// The Internet checksum (RFC 1071) and the pseudo-header sums of RFC 9293 §3.1 / RFC 8200 §8.1.
// Sums are kept unfolded (plain numbers) until the end; a 64 KiB packet cannot overflow 2^53.

/** Adds the 16-bit big-endian words of bytes[offset, offset+length) to `sum` (odd tail padded). */
export function sumWords(bytes: Uint8Array, offset: number, length: number, sum = 0): number {
  const end = offset + (length & ~1);
  let i = offset;
  // Four bytes per step: two 16-bit words, summed without folding (no overflow below 2^53).
  const end4 = offset + (length & ~3);
  for (; i < end4; i += 4) sum += ((bytes[i]! << 8) | bytes[i + 1]!) + ((bytes[i + 2]! << 8) | bytes[i + 3]!);
  for (; i < end; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (length & 1) sum += bytes[end]! << 8;
  return sum;
}

/** Folds a sum to 16 bits (end-around carry, RFC 1071 §4.1), not complemented. */
export function foldSum(sum: number): number {
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return sum;
}

/** Folds a sum to 16 bits and complements it: the value to put on the wire. */
export function finishChecksum(sum: number): number {
  return ~foldSum(sum) & 0xffff;
}

/** RFC 1071 checksum of a byte range. A range containing a correct checksum verifies to 0. */
export function internetChecksum(bytes: Uint8Array, offset = 0, length = bytes.length - offset): number {
  return finishChecksum(sumWords(bytes, offset, length));
}

/** IPv4 pseudo-header (RFC 9293 §3.1): source, destination, zero, protocol, upper-layer length. */
export function pseudoSumV4(src: number, dst: number, protocol: number, length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
}

/** IPv6 pseudo-header (RFC 8200 §8.1). */
export function pseudoSumV6(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  let s = sumWords(src, 0, 16);
  s = sumWords(dst, 0, 16, s);
  return s + Math.floor(length / 0x10000) + (length & 0xffff) + protocol;
}
