// ZLE (zero-length encoding, compression id 14), reference §5.5 with n = 64: a length byte L;
// L < 64 → L+1 literal bytes follow; L ≥ 64 → L−64+1 zero bytes.
import { formatError } from './bytes.js';

const N = 64;

export function zleDecompress(src: Uint8Array, outLength: number): Uint8Array {
  const dst = new Uint8Array(outLength);
  let s = 0;
  let d = 0;
  while (d < outLength) {
    if (s >= src.length) throw formatError('zle.length', s, 'input ends before output is complete');
    const len = src[s++]!;
    if (len < N) {
      const count = len + 1;
      if (d + count > outLength) throw formatError('zle.literal', s - 1, 'literal run overflows output');
      if (s + count > src.length) throw formatError('zle.literal', s, 'truncated literal run');
      dst.set(src.subarray(s, s + count), d);
      s += count;
      d += count;
    } else {
      const count = len - N + 1;
      if (d + count > outLength) throw formatError('zle.zeros', s - 1, 'zero run overflows output');
      d += count; // already zero
    }
  }
  return dst;
}

export function zleCompress(src: Uint8Array, maxLength: number): Uint8Array | null {
  const out = new Uint8Array(maxLength);
  let s = 0;
  let d = 0;
  while (s < src.length) {
    if (src[s] === 0) {
      let run = 0;
      while (s + run < src.length && src[s + run] === 0 && run < 256 - N) run++;
      if (d + 1 > maxLength) return null;
      out[d++] = run - 1 + N;
      s += run;
    } else {
      // Literals until a pair of zeros (a single zero is cheaper as a literal) or N bytes.
      let run = 0;
      while (
        s + run < src.length &&
        run < N &&
        !(src[s + run] === 0 && (s + run + 1 >= src.length || src[s + run + 1] === 0))
      )
        run++;
      if (d + 1 + run > maxLength) return null;
      out[d++] = run - 1;
      out.set(src.subarray(s, s + run), d);
      d += run;
      s += run;
    }
  }
  return out.subarray(0, d);
}
