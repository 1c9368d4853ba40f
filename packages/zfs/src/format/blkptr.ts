// blkptr_t (128 bytes) and DVAs, reference §4: layout only. A blkptr is decoded in the byte order
// of the block that contains it; its B bit gives the byte order of the block it points to.
import { formatError, need, viewOf } from './bytes.js';
import type { Checksum } from './fletcher.js';

export const BLKPTR_SIZE = 128;
export const SPA_MINBLOCKSHIFT = 9;

export interface Dva {
  /** Top-level vdev id. */
  readonly vdev: number;
  /** Allocated size in bytes (0 = DVA unused). */
  readonly asize: number;
  /** Byte offset relative to the start of the vdev's allocatable space. */
  readonly offset: number;
  readonly gang: boolean;
}

export interface Blkptr {
  readonly dva: readonly [Dva, Dva, Dva];
  readonly lsize: number;
  readonly psize: number;
  readonly compress: number;
  readonly checksumType: number;
  readonly type: number;
  readonly level: number;
  readonly dedup: boolean;
  /** Contents are little-endian. */
  readonly littleEndian: boolean;
  readonly embedded: boolean;
  /** embedded: the payload type (0 DATA). */
  readonly embeddedType: number;
  readonly physBirth: number;
  readonly birth: number;
  readonly fill: number;
  readonly checksum: Checksum;
  /** embedded only: the payload bytes (psize long). */
  readonly payload?: Uint8Array;
}

const EMPTY_DVA: Dva = { vdev: 0, asize: 0, offset: 0, gang: false };

export function decodeDva(w0: bigint, w1: bigint): Dva {
  const asizeSectors = Number(w0 & 0xffffffn);
  return {
    vdev: Number(w0 >> 32n),
    asize: asizeSectors << SPA_MINBLOCKSHIFT,
    offset: Number(w1 & 0x7fff_ffff_ffff_ffffn) * 512,
    gang: w1 >> 63n === 1n,
  };
}

// Embedded payload word order, reference §4.6: words 0–5, 7–9, 11–15.
const EMBED_WORDS = [0, 1, 2, 3, 4, 5, 7, 8, 9, 11, 12, 13, 14, 15];

export function decodeBlkptr(buf: Uint8Array, offset: number, le: boolean): Blkptr {
  need(buf, offset, BLKPTR_SIZE, 'blkptr');
  const v = viewOf(buf);
  const w = (i: number): bigint => v.getBigUint64(offset + i * 8, le);
  const prop = w(6);
  const littleEndian = prop >> 63n === 1n;
  const embedded = ((prop >> 39n) & 1n) === 1n;
  const type = Number((prop >> 48n) & 0xffn);
  const level = Number((prop >> 56n) & 0x1fn);
  const dedup = ((prop >> 62n) & 1n) === 1n;
  const birth = Number(w(10));
  if (embedded) {
    const lsize = Number(prop & 0x1ffffffn) + 1;
    const psize = Number((prop >> 25n) & 0x7fn) + 1;
    if (psize > EMBED_WORDS.length * 8) throw formatError('blkptr.embedded_psize', offset + 48, `psize ${psize} > 112`);
    const payload = new Uint8Array(psize);
    for (let i = 0; i < psize; i++) {
      const word = w(EMBED_WORDS[i >> 3]!);
      payload[i] = Number((word >> BigInt((i & 7) * 8)) & 0xffn);
    }
    return {
      dva: [EMPTY_DVA, EMPTY_DVA, EMPTY_DVA],
      lsize,
      psize,
      compress: Number((prop >> 32n) & 0x7fn),
      checksumType: 0,
      type,
      level,
      dedup,
      littleEndian,
      embedded,
      embeddedType: Number((prop >> 40n) & 0xffn),
      physBirth: 0,
      birth,
      fill: 1,
      checksum: [0n, 0n, 0n, 0n],
      payload,
    };
  }
  return {
    dva: [decodeDva(w(0), w(1)), decodeDva(w(2), w(3)), decodeDva(w(4), w(5))],
    lsize: (Number(prop & 0xffffn) + 1) << SPA_MINBLOCKSHIFT,
    psize: (Number((prop >> 16n) & 0xffffn) + 1) << SPA_MINBLOCKSHIFT,
    // OpenZFS narrows comp to 7 bits (bit 39 = E); v23 never sets bit 39.
    compress: Number((prop >> 32n) & 0x7fn),
    checksumType: Number((prop >> 40n) & 0xffn),
    type,
    level,
    dedup,
    littleEndian,
    embedded,
    embeddedType: 0,
    physBirth: Number(w(9)),
    birth,
    fill: Number(w(11)),
    checksum: [w(12), w(13), w(14), w(15)],
  };
}

/** OpenZFS BP_IS_HOLE: not embedded and DVA[0] has no allocated size. */
export function isHole(bp: Blkptr): boolean {
  return !bp.embedded && bp.dva[0].asize === 0;
}

export function copies(bp: Blkptr): number {
  return bp.dva.filter((d) => d.asize !== 0).length;
}

/** Birth txg that matters for the physical location (gang verifier, ARC identity). */
export function physicalBirth(bp: Blkptr): number {
  return bp.physBirth !== 0 ? bp.physBirth : bp.birth;
}

export interface BlkptrFields {
  dva: readonly Dva[];
  lsize: number;
  psize: number;
  compress: number;
  checksumType: number;
  type: number;
  level: number;
  birth: number;
  fill: number;
  checksum: Checksum;
}

/** Encodes a (non-embedded) blkptr little-endian into `buf[offset..offset+128)`. */
export function encodeBlkptr(buf: Uint8Array, offset: number, bp: BlkptrFields): void {
  need(buf, offset, BLKPTR_SIZE, 'blkptr');
  const v = viewOf(buf);
  const put = (i: number, x: bigint): void => v.setBigUint64(offset + i * 8, BigInt.asUintN(64, x), true);
  for (let i = 0; i < 3; i++) {
    const d = bp.dva[i];
    if (d === undefined || d.asize === 0) {
      put(i * 2, 0n);
      put(i * 2 + 1, 0n);
      continue;
    }
    put(i * 2, (BigInt(d.vdev) << 32n) | BigInt(d.asize >> SPA_MINBLOCKSHIFT));
    put(i * 2 + 1, (d.gang ? 1n << 63n : 0n) | BigInt(d.offset / 512));
  }
  const prop =
    (1n << 63n) |
    (BigInt(bp.level) << 56n) |
    (BigInt(bp.type) << 48n) |
    (BigInt(bp.checksumType) << 40n) |
    (BigInt(bp.compress) << 32n) |
    (BigInt((bp.psize >> SPA_MINBLOCKSHIFT) - 1) << 16n) |
    BigInt((bp.lsize >> SPA_MINBLOCKSHIFT) - 1);
  put(6, prop);
  put(7, 0n);
  put(8, 0n);
  put(9, 0n);
  put(10, BigInt(bp.birth));
  put(11, BigInt(bp.fill));
  for (let i = 0; i < 4; i++) put(12 + i, bp.checksum[i]!);
}

/** A hole: 128 zero bytes. */
export function encodeHole(buf: Uint8Array, offset: number): void {
  buf.fill(0, offset, offset + BLKPTR_SIZE);
}
