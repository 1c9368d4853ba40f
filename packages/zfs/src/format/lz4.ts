// LZ4 block decompression for OpenZFS's lz4 (compression id 15, feature org.illumos:lz4_compress):
// a 4-byte big-endian payload length, then one raw LZ4 block (lz4.org block format), then padding.
// Read only: a v23 writer never emits lz4.
import { formatError } from './bytes.js';

export function lz4Decompress(src: Uint8Array, outLength: number): Uint8Array {
  if (src.length < 4) throw formatError('lz4.length', 0, 'missing length header');
  const payload = ((src[0]! << 24) | (src[1]! << 16) | (src[2]! << 8) | src[3]!) >>> 0;
  if (payload > src.length - 4) throw formatError('lz4.length', 0, `payload ${payload} exceeds block`);
  const end = 4 + payload;
  const dst = new Uint8Array(outLength);
  let s = 4;
  let d = 0;
  while (s < end) {
    const token = src[s++]!;
    let lit = token >> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (s >= end) throw formatError('lz4.literal_length', s, 'truncated');
        b = src[s++]!;
        lit += b;
      } while (b === 255);
    }
    if (s + lit > end) throw formatError('lz4.literals', s, 'literal run past end of input');
    if (d + lit > outLength) throw formatError('lz4.literals', s, 'literal run overflows output');
    dst.set(src.subarray(s, s + lit), d);
    s += lit;
    d += lit;
    if (s >= end) break; // the last sequence has literals only
    if (s + 2 > end) throw formatError('lz4.offset', s, 'truncated');
    const offset = src[s]! | (src[s + 1]! << 8);
    s += 2;
    if (offset === 0 || offset > d) throw formatError('lz4.offset', s - 2, `offset ${offset} before output start`);
    let mlen = (token & 15) + 4;
    if ((token & 15) === 15) {
      let b: number;
      do {
        if (s >= end) throw formatError('lz4.match_length', s, 'truncated');
        b = src[s++]!;
        mlen += b;
      } while (b === 255);
    }
    if (d + mlen > outLength) throw formatError('lz4.match', s, 'match overflows output');
    let cpy = d - offset;
    for (let i = 0; i < mlen; i++) dst[d++] = dst[cpy++]!;
  }
  if (d !== outLength) throw formatError('lz4', s, `produced ${d} of ${outLength} bytes`);
  return dst;
}
