// Space-map entries (reference §8.5, v23 space_map.h): one u64 each. Debug entries (bit 63)
// carry txg, sync pass and action and are skipped on replay; data entries carry offset (bits
// 16–62) and run − 1 (bits 0–14) in units of 1 << sm_shift relative to the metaslab start, and
// the type in bit 15 (0 ALLOC, 1 FREE). A run is at most 32768 units.
import { formatError, putU64, viewOf } from './bytes.js';

export const SM_ALLOC = 0;
export const SM_FREE = 1;
export const SM_RUN_MAX = 1 << 15;
export const SPACE_MAP_OBJ_SIZE = 24;

export interface SpaceMapEntry {
  readonly type: typeof SM_ALLOC | typeof SM_FREE;
  /** Byte offset relative to the metaslab start. */
  readonly offset: number;
  readonly size: number;
}

/** space_map_obj_t, the bonus of a space-map object. */
export interface SpaceMapHeader {
  readonly object: number;
  readonly objsize: number;
  readonly alloc: number;
}

export function decodeSpaceMapHeader(bonus: Uint8Array, le: boolean): SpaceMapHeader {
  if (bonus.length < SPACE_MAP_OBJ_SIZE) throw formatError('space_map_obj', 0, `bonus of ${bonus.length} bytes`);
  const v = viewOf(bonus);
  return {
    object: Number(v.getBigUint64(0, le)),
    objsize: Number(v.getBigUint64(8, le)),
    alloc: Number(BigInt.asIntN(64, v.getBigUint64(16, le))),
  };
}

export function encodeSpaceMapHeader(h: SpaceMapHeader): Uint8Array {
  const b = new Uint8Array(SPACE_MAP_OBJ_SIZE);
  putU64(b, 0, h.object);
  putU64(b, 8, h.objsize);
  putU64(b, 16, BigInt.asUintN(64, BigInt(h.alloc)));
  return b;
}

/** Decodes the data entries of `buf` (debug entries skipped). */
export function decodeSpaceMapEntries(buf: Uint8Array, le: boolean, shift: number): SpaceMapEntry[] {
  if (buf.length % 8 !== 0) throw formatError('space_map', 0, `length ${buf.length} not a multiple of 8`);
  const v = viewOf(buf);
  const out: SpaceMapEntry[] = [];
  const unit = 2 ** shift;
  for (let at = 0; at < buf.length; at += 8) {
    const w = v.getBigUint64(at, le);
    if (w >> 63n) continue;
    const offset = Number((w >> 16n) & 0x7fff_ffff_ffffn) * unit;
    const run = (Number(w & 0x7fffn) + 1) * unit;
    out.push({ type: Number((w >> 15n) & 1n) as 0 | 1, offset, size: run });
  }
  return out;
}

/** A debug entry: action, sync pass and txg of the entries that follow. */
export function spaceMapDebugEntry(action: number, syncPass: number, txg: number): bigint {
  return (1n << 63n) | (BigInt(action) << 60n) | (BigInt(syncPass) << 50n) | BigInt(txg);
}

/** Data entries for one extent (split into runs of at most SM_RUN_MAX units). */
export function spaceMapDataEntries(type: number, offset: number, size: number, shift: number): bigint[] {
  const out: bigint[] = [];
  let off = offset / 2 ** shift;
  let run = size / 2 ** shift;
  if (!Number.isInteger(off) || !Number.isInteger(run))
    throw formatError('space_map', 0, `extent ${offset}+${size} not aligned to ${shift}`);
  while (run > 0) {
    const n = Math.min(run, SM_RUN_MAX);
    out.push((BigInt(off) << 16n) | (BigInt(type) << 15n) | BigInt(n - 1));
    off += n;
    run -= n;
  }
  return out;
}

export function encodeSpaceMapWords(words: readonly bigint[]): Uint8Array {
  const b = new Uint8Array(words.length * 8);
  words.forEach((w, i) => putU64(b, i * 8, w));
  return b;
}
