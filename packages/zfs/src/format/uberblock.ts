// Uberblock (reference §3): the root of a pool's tree at one txg, stored in every label's ring.
import { need, putU64, viewOf } from './bytes.js';
import { decodeBlkptr, encodeBlkptr, type Blkptr, type BlkptrFields } from './blkptr.js';

export const UBERBLOCK_MAGIC = 0x00bab10cn;
export const UBERBLOCK_SIZE = 168;

export interface Uberblock {
  readonly version: number;
  readonly txg: number;
  readonly guidSum: bigint;
  readonly timestamp: number;
  readonly rootbp: Blkptr;
  readonly littleEndian: boolean;
}

/** Decodes an uberblock if its magic matches in either byte order; null otherwise. */
export function decodeUberblock(buf: Uint8Array, offset = 0): Uberblock | null {
  need(buf, offset, UBERBLOCK_SIZE, 'uberblock');
  const v = viewOf(buf);
  let le: boolean;
  if (v.getBigUint64(offset, true) === UBERBLOCK_MAGIC) le = true;
  else if (v.getBigUint64(offset, false) === UBERBLOCK_MAGIC) le = false;
  else return null;
  return {
    version: Number(v.getBigUint64(offset + 8, le)),
    txg: Number(v.getBigUint64(offset + 16, le)),
    guidSum: v.getBigUint64(offset + 24, le),
    timestamp: Number(v.getBigUint64(offset + 32, le)),
    rootbp: decodeBlkptr(buf, offset + 40, le),
    littleEndian: le,
  };
}

export interface UberblockFields {
  version: number;
  txg: number;
  guidSum: bigint;
  timestamp: number;
  rootbp: BlkptrFields;
}

export function encodeUberblock(buf: Uint8Array, offset: number, ub: UberblockFields): void {
  need(buf, offset, UBERBLOCK_SIZE, 'uberblock');
  putU64(buf, offset, UBERBLOCK_MAGIC);
  putU64(buf, offset + 8, ub.version);
  putU64(buf, offset + 16, ub.txg);
  putU64(buf, offset + 24, ub.guidSum);
  putU64(buf, offset + 32, ub.timestamp);
  encodeBlkptr(buf, offset + 40, ub.rootbp);
}

/** vdev_uberblock_compare: higher txg wins, then higher timestamp. */
export function compareUberblocks(a: Uberblock, b: Uberblock): number {
  if (a.txg !== b.txg) return a.txg < b.txg ? -1 : 1;
  if (a.timestamp !== b.timestamp) return a.timestamp < b.timestamp ? -1 : 1;
  return 0;
}
