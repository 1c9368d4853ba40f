// Copy-on-write update of one object's block tree (dbuf_sync / dnode_sync, reference §6.3,
// §10.1): dirty level-0 blocks are written to new places, every indirect block above a change
// is rewritten, untouched subtrees keep their block pointers byte for byte, and each replaced
// or truncated block is handed to `kill` (freed or put on a deadlist by the caller). When the
// object needs more levels, the old top-level pointers move under new indirect blocks.
// Block pointers are carried as their raw 128 bytes so foreign pointers are copied unchanged.
import { BLKPTR_SIZE } from '../format/blkptr.js';
import { isAllZero, viewOf } from '../format/bytes.js';

export type RawBp = Uint8Array;

/** Sum of the DVAs' allocated sizes of a raw blkptr (words 0, 2, 4; ASIZE in 512-byte units). */
export function rawAsize(bp: RawBp): number {
  const v = viewOf(bp);
  let n = 0;
  for (let i = 0; i < 3; i++) n += (v.getUint32(i * 16, true) & 0xffffff) * 512;
  return n;
}

export function rawIsHole(bp: RawBp | null): boolean {
  if (bp === null) return true;
  const v = viewOf(bp);
  const embedded = (v.getUint8(6 * 8 + 4) & 0x80) !== 0;
  return !embedded && (v.getUint32(0, true) & 0xffffff) === 0;
}

export function rawFill(bp: RawBp | null): number {
  return bp === null || rawIsHole(bp) ? 0 : Number(viewOf(bp).getBigUint64(11 * 8, true));
}

export interface TreeShape {
  nlevels: number;
  nblkptr: number;
  indblkshift: number;
}

export interface TreeChanges {
  /** Levels after the update (never fewer than before). */
  nlevels: number;
  /** New contents of level-0 blocks; all-zero contents become holes. */
  dirty: ReadonlyMap<number, Uint8Array>;
  /** Old level-0 blocks with blkid ≥ this are gone (truncation); Infinity for none. */
  freeFrom: number;
}

export interface TreeIo {
  /** Logical contents of the indirect block `bp`. */
  readIndirect(bp: RawBp): Uint8Array;
  /** Writes a block and returns its blkptr. */
  write(data: Uint8Array, level: number, fill: number): RawBp;
  /** A block pointer leaves the tree. */
  kill(bp: RawBp): void;
  /** blk_fill of a level-0 block. */
  fillOf(data: Uint8Array): number;
}

export interface TreeResult {
  top: (RawBp | null)[];
  bornBytes: number;
  killedBytes: number;
}

const VIRTUAL = 'virtual';
type OldNode = RawBp | null | typeof VIRTUAL;

/** Smallest level count whose top can address `maxblkid` (reference §6.3). */
export function levelsFor(maxblkid: number, nblkptr: number, indblkshift: number): number {
  const epbs = indblkshift - 7;
  let n = 1;
  while (nblkptr * 2 ** (epbs * (n - 1)) <= maxblkid) n++;
  return n;
}

export function syncTree(old: TreeShape, oldTop: readonly (RawBp | null)[], ch: TreeChanges, io: TreeIo): TreeResult {
  const epbs = old.indblkshift - 7;
  const per = 2 ** epbs;
  const keys = [...ch.dirty.keys()].sort((a, b) => a - b);
  const result: TreeResult = { top: [], bornBytes: 0, killedBytes: 0 };
  const oldTopLevel = old.nlevels - 1;
  const hasDirty = (first: number, end: number): boolean => {
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (keys[mid]! < first) lo = mid + 1;
      else hi = mid;
    }
    return lo < keys.length && keys[lo]! < end;
  };
  const kill = (bp: OldNode): void => {
    if (bp === VIRTUAL || bp === null || rawIsHole(bp)) return;
    result.killedBytes += rawAsize(bp);
    io.kill(bp);
  };
  const write = (data: Uint8Array, level: number, fill: number): RawBp => {
    const bp = io.write(data, level, fill);
    result.bornBytes += rawAsize(bp);
    return bp;
  };
  const childrenOf = (level: number, bp: OldNode): OldNode[] => {
    const out = new Array<OldNode>(per).fill(null);
    if (bp === VIRTUAL) {
      if (level - 1 > oldTopLevel) out[0] = VIRTUAL;
      else for (let j = 0; j < oldTop.length && j < per; j++) out[j] = oldTop[j] ?? null;
      return out;
    }
    if (bp === null || rawIsHole(bp)) return out;
    const ind = io.readIndirect(bp);
    for (let j = 0; j < per && (j + 1) * BLKPTR_SIZE <= ind.length; j++) {
      const raw = ind.slice(j * BLKPTR_SIZE, (j + 1) * BLKPTR_SIZE);
      out[j] = rawIsHole(raw) ? null : raw;
    }
    return out;
  };
  const node = (level: number, first: number, bp: OldNode): RawBp | null => {
    const end = first + 2 ** (epbs * level);
    const live = bp === VIRTUAL || (bp !== null && !rawIsHole(bp));
    if (bp !== VIRTUAL && !hasDirty(first, end) && !(live && ch.freeFrom < end)) return bp;
    if (level === 0) {
      const data = ch.dirty.get(first);
      kill(bp);
      if (data === undefined || isAllZero(data)) return null;
      return write(data, 0, io.fillOf(data));
    }
    const children = childrenOf(level, bp);
    const span = 2 ** (epbs * (level - 1));
    let same = bp !== VIRTUAL;
    let fill = 0;
    let any = false;
    const next: (RawBp | null)[] = children.map((c, j) => {
      const n = node(level - 1, first + j * span, c);
      if (n !== c) same = false;
      if (n !== null) {
        any = true;
        fill += rawFill(n);
      }
      return n;
    });
    if (same) return bp as RawBp | null;
    kill(bp);
    if (!any) return null;
    const ind = new Uint8Array(2 ** old.indblkshift);
    next.forEach((n, j) => {
      if (n) ind.set(n, j * BLKPTR_SIZE);
    });
    return write(ind, level, fill);
  };
  const topLevel = ch.nlevels - 1;
  const topSpan = 2 ** (epbs * topLevel);
  for (let i = 0; i < old.nblkptr; i++) {
    let start: OldNode;
    if (topLevel > oldTopLevel) start = i === 0 ? VIRTUAL : null;
    else start = oldTop[i] ?? null;
    result.top.push(node(topLevel, i * topSpan, start));
  }
  return result;
}
