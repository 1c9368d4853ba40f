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

const HOST_LE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function words32(data: Uint8Array, n: number, le: boolean): Uint32Array {
  // Fast path: an aligned buffer in host order is read in place; otherwise copy/convert once.
  if (le === HOST_LE && data.byteOffset % 4 === 0) return new Uint32Array(data.buffer, data.byteOffset, n / 4);
  const out = new Uint32Array(n / 4);
  const view = viewOf(data);
  for (let i = 0; i < out.length; i++) out[i] = view.getUint32(i * 4, le);
  return out;
}

const M64 = (1n << 64n) - 1n;
const CHUNK = 1024;

/**
 * Fletcher-4 over `data` (length a multiple of 4; a trailing partial word is ignored, as in ZFS).
 * Words are split into 16-bit halves whose running sums over 1024 words stay below 2^53, so the
 * inner loop is exact floating-point adds; each chunk is folded into the 64-bit state with the
 * closed form of the recurrence (a' = a + A, b' = b + m·a + B, ...).
 */
export function fletcher4(data: Uint8Array, le = true): Checksum {
  const n = data.length & ~3;
  const w = words32(data, n, le);
  let a = 0n,
    b = 0n,
    c = 0n,
    d = 0n;
  for (let base = 0; base < w.length; base += CHUNK) {
    const end = Math.min(w.length, base + CHUNK);
    let Al = 0,
      Bl = 0,
      Cl = 0,
      Dl = 0,
      Ah = 0,
      Bh = 0,
      Ch = 0,
      Dh = 0;
    for (let i = base; i < end; i++) {
      const x = w[i]!;
      Al += x & 0xffff;
      Ah += x >>> 16;
      Bl += Al;
      Bh += Ah;
      Cl += Bl;
      Ch += Bh;
      Dl += Cl;
      Dh += Ch;
    }
    const m = BigInt(end - base);
    const t2 = (m * (m + 1n)) / 2n;
    const t3 = (m * (m + 1n) * (m + 2n)) / 6n;
    const A = BigInt(Al) + (BigInt(Ah) << 16n);
    const B = BigInt(Bl) + (BigInt(Bh) << 16n);
    const C = BigInt(Cl) + (BigInt(Ch) << 16n);
    const D = BigInt(Dl) + (BigInt(Dh) << 16n);
    d = (d + m * c + t2 * b + t3 * a + D) & M64;
    c = (c + m * b + t2 * a + C) & M64;
    b = (b + m * a + B) & M64;
    a = (a + A) & M64;
  }
  return [a, b, c, d];
}

/** Fletcher-2 over `data` (pairs of u64 words; trailing bytes short of 16 are ignored). */
export function fletcher2(data: Uint8Array, le = true): Checksum {
  const view = viewOf(data);
  const n = data.length & ~15;
  // a0, a1, b0, b1 as hi/lo pairs.
  let a0l = 0,
    a0h = 0,
    a1l = 0,
    a1h = 0,
    b0l = 0,
    b0h = 0,
    b1l = 0,
    b1h = 0;
  const lo = le ? 0 : 4;
  const hi = le ? 4 : 0;
  for (let i = 0; i < n; i += 16) {
    const x0l = view.getUint32(i + lo, le),
      x0h = view.getUint32(i + hi, le);
    const x1l = view.getUint32(i + 8 + lo, le),
      x1h = view.getUint32(i + 8 + hi, le);
    a0l += x0l;
    a0h += x0h;
    if (a0l >= TWO32) {
      a0l -= TWO32;
      a0h += 1;
    }
    a0h >>>= 0;
    a1l += x1l;
    a1h += x1h;
    if (a1l >= TWO32) {
      a1l -= TWO32;
      a1h += 1;
    }
    a1h >>>= 0;
    b0l += a0l;
    b0h += a0h;
    if (b0l >= TWO32) {
      b0l -= TWO32;
      b0h += 1;
    }
    b0h >>>= 0;
    b1l += a1l;
    b1h += a1h;
    if (b1l >= TWO32) {
      b1l -= TWO32;
      b1h += 1;
    }
    b1h >>>= 0;
  }
  return [join(a0h, a0l), join(a1h, a1l), join(b0h, b0l), join(b1h, b1l)];
}

export function checksumEqual(a: Checksum, b: Checksum): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];
}
