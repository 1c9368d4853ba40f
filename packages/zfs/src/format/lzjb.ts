// LZJB (Jeff Bonwick's Lempel-Ziv variant, ZFS's default metadata compressor), reference §5.5.
// Stream: a copymap byte, then 8 items; bit i (LSB first) set = 2-byte match
// (length = (b0>>2)+3, offset = ((b0<<8)|b1) & 0x3ff), clear = one literal byte.
import { formatError } from './bytes.js';

const MATCH_BITS = 6;
const MATCH_MIN = 3;
const MATCH_MAX = (1 << MATCH_BITS) + (MATCH_MIN - 1);
const OFFSET_MASK = (1 << (16 - MATCH_BITS)) - 1;
const LEMPEL_SIZE = 1024;

/** Decompresses into exactly `outLength` bytes; trailing input (zero padding) is ignored. */
export function lzjbDecompress(src: Uint8Array, outLength: number): Uint8Array {
  const dst = new Uint8Array(outLength);
  let s = 0;
  let d = 0;
  let copymap = 0;
  let copymask = 0x80;
  while (d < outLength) {
    copymask <<= 1;
    if (copymask === 0x100) {
      if (s >= src.length) throw formatError('lzjb.copymap', s, 'input ends before output is complete');
      copymask = 1;
      copymap = src[s++]!;
    }
    if (copymap & copymask) {
      if (s + 2 > src.length) throw formatError('lzjb.match', s, 'truncated match');
      const b0 = src[s]!,
        b1 = src[s + 1]!;
      s += 2;
      let mlen = (b0 >> (8 - MATCH_BITS)) + MATCH_MIN;
      const offset = ((b0 << 8) | b1) & OFFSET_MASK;
      if (offset === 0 || offset > d)
        throw formatError('lzjb.offset', s - 2, `match offset ${offset} before output start`);
      let cpy = d - offset;
      while (mlen-- > 0 && d < outLength) dst[d++] = dst[cpy++]!;
    } else {
      if (s >= src.length) throw formatError('lzjb.literal', s, 'input ends before output is complete');
      dst[d++] = src[s++]!;
    }
  }
  return dst;
}

/**
 * Compresses `src`; returns null if the output would exceed `maxLength` bytes (the caller then
 * stores the block uncompressed, as zio_compress_data does).
 */
export function lzjbCompress(src: Uint8Array, maxLength: number): Uint8Array | null {
  const out = new Uint8Array(maxLength);
  const lempel = new Int32Array(LEMPEL_SIZE).fill(-1);
  let s = 0;
  let d = 0;
  let copymapAt = 0;
  let copymask = 0x80;
  const n = src.length;
  while (s < n) {
    copymask <<= 1;
    if (copymask === 0x100) {
      // Room for a copymap and 8 two-byte items.
      if (d + 1 + 16 > maxLength) return null;
      copymask = 1;
      copymapAt = d;
      out[d++] = 0;
    }
    if (s > n - MATCH_MAX) {
      out[d++] = src[s++]!;
      continue;
    }
    let hash = (src[s]! << 16) + (src[s + 1]! << 8) + src[s + 2]!;
    hash += hash >> 9;
    hash += hash >> 5;
    const slot = hash & (LEMPEL_SIZE - 1);
    const prev = lempel[slot]!;
    lempel[slot] = s;
    const offset = prev < 0 ? 0 : (s - prev) & OFFSET_MASK;
    const cpy = s - offset;
    if (offset !== 0 && cpy >= 0 && src[s] === src[cpy] && src[s + 1] === src[cpy + 1] && src[s + 2] === src[cpy + 2]) {
      out[copymapAt] = out[copymapAt]! | copymask;
      let mlen = MATCH_MIN;
      while (mlen < MATCH_MAX && src[s + mlen] === src[cpy + mlen]) mlen++;
      out[d++] = ((mlen - MATCH_MIN) << (8 - MATCH_BITS)) | (offset >> 8);
      out[d++] = offset & 0xff;
      s += mlen;
    } else {
      out[d++] = src[s++]!;
    }
  }
  return out.subarray(0, d);
}
