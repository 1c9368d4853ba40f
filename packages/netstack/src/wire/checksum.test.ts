// The Internet checksum against RFC 1071's worked example and a byte-pair reference, over every
// alignment the word-at-a-time path can meet (subarrays at odd and even byte offsets).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { foldSum, internetChecksum, sumWords } from './checksum.js';

/** RFC 1071 §3 as written: big-endian 16-bit words, the odd byte padded with zero. */
function referenceSum(bytes: Uint8Array, offset: number, length: number, sum: number): number {
  for (let i = 0; i < length; i += 2) sum += (bytes[offset + i]! << 8) | (i + 1 < length ? bytes[offset + i + 1]! : 0);
  return sum;
}

describe('Internet checksum (RFC 1071)', () => {
  it("gives RFC 1071 §3's example sum", () => {
    const bytes = Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7);
    expect(foldSum(sumWords(bytes, 0, 8))).toBe(0xddf2);
    expect(internetChecksum(bytes)).toBe(~0xddf2 & 0xffff);
  });

  it('matches the byte-pair reference for any bytes, start, length and buffer alignment', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 3000, size: 'max' }),
        fc.nat(7),
        fc.nat(),
        fc.nat(),
        fc.nat(0xfffff),
        (data, shift, a, b, initial) => {
          // The data placed `shift` bytes into its buffer, as a frame inside a larger buffer.
          const backing = new Uint8Array(data.length + shift);
          backing.set(data, shift);
          const bytes = backing.subarray(shift);
          const offset = data.length === 0 ? 0 : a % data.length;
          const length = data.length === 0 ? 0 : b % (data.length - offset + 1);
          expect(foldSum(sumWords(bytes, offset, length, initial))).toBe(
            foldSum(referenceSum(bytes, offset, length, initial)),
          );
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('sums a 64 KiB segment of 0xff bytes without losing carries', () => {
    const bytes = new Uint8Array(65536).fill(0xff);
    expect(foldSum(sumWords(bytes, 0, bytes.length))).toBe(0xffff);
    expect(foldSum(sumWords(bytes, 2, 65534, 1))).toBe(foldSum(referenceSum(bytes, 2, 65534, 1)));
  });
});
