// Fletcher checksums as ZFS defines them (zfs_fletcher.c): running sums that wrap modulo 2^64,
// over 32-bit words (fletcher4) or pairs of 64-bit words (fletcher2), read in the byte order of
// the block (the blkptr's B bit). The 64-bit sums are kept as (hi, lo) pairs of 32-bit numbers so
// the hot loop needs no BigInt.
import { viewOf } from './bytes.js';

export type Checksum = readonly [bigint, bigint, bigint, bigint];

const TWO32 = 0x1_0000_0000;

function join(hi: number, lo: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** Fletcher-4 over `data` (length a multiple of 4; a trailing partial word is ignored, as in ZFS). */
export function fletcher4(data: Uint8Array, le = true): Checksum {
  const view = viewOf(data);
  const n = data.length & ~3;
  let alo = 0, ahi = 0, blo = 0, bhi = 0, clo = 0, chi = 0, dlo = 0, dhi = 0;
  for (let i = 0; i < n; i += 4) {
    alo += view.getUint32(i, le);
    if (alo >= TWO32) { alo -= TWO32; ahi = (ahi + 1) >>> 0; }
    blo += alo; bhi += ahi;
    if (blo >= TWO32) { blo -= TWO32; bhi += 1; }
    bhi >>>= 0;
    clo += blo; chi += bhi;
    if (clo >= TWO32) { clo -= TWO32; chi += 1; }
    chi >>>= 0;
    dlo += clo; dhi += chi;
    if (dlo >= TWO32) { dlo -= TWO32; dhi += 1; }
    dhi >>>= 0;
  }
  return [join(ahi, alo), join(bhi, blo), join(chi, clo), join(dhi, dlo)];
}

/** Fletcher-2 over `data` (pairs of u64 words; trailing bytes short of 16 are ignored). */
export function fletcher2(data: Uint8Array, le = true): Checksum {
  const view = viewOf(data);
  const n = data.length & ~15;
  // a0, a1, b0, b1 as hi/lo pairs.
  let a0l = 0, a0h = 0, a1l = 0, a1h = 0, b0l = 0, b0h = 0, b1l = 0, b1h = 0;
  const lo = le ? 0 : 4;
  const hi = le ? 4 : 0;
  for (let i = 0; i < n; i += 16) {
    const x0l = view.getUint32(i + lo, le), x0h = view.getUint32(i + hi, le);
    const x1l = view.getUint32(i + 8 + lo, le), x1h = view.getUint32(i + 8 + hi, le);
    a0l += x0l; a0h += x0h; if (a0l >= TWO32) { a0l -= TWO32; a0h += 1; } a0h >>>= 0;
    a1l += x1l; a1h += x1h; if (a1l >= TWO32) { a1l -= TWO32; a1h += 1; } a1h >>>= 0;
    b0l += a0l; b0h += a0h; if (b0l >= TWO32) { b0l -= TWO32; b0h += 1; } b0h >>>= 0;
    b1l += a1l; b1h += a1h; if (b1l >= TWO32) { b1l -= TWO32; b1h += 1; } b1h >>>= 0;
  }
  return [join(a0h, a0l), join(a1h, a1l), join(b0h, b0l), join(b1h, b1l)];
}

export function checksumEqual(a: Checksum, b: Checksum): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];
}
