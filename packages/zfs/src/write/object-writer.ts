// Writing one DMU object's contents (dbuf/dnode sync, simplified for whole-object writes): split
// into data blocks (all-zero blocks become holes), then build the indirect tree bottom-up until
// the dnode's block pointers can hold the top level (reference §6.3).
import { BLKPTR_SIZE, encodeBlkptr, encodeHole, type BlkptrFields } from '../format/blkptr.js';
import { isAllZero } from '../format/bytes.js';
import { DN_BONUS_OFFSET, DNODE_SIZE, encodeDnodeHeader } from '../format/dnode.js';
import type { BlockWriter, SpaceAccount } from './block-writer.js';

export const INDBLKSHIFT = 14;
const EPBS = INDBLKSHIFT - 7;
export const SPA_MAXBLOCKSIZE = 128 * 1024;

export interface ObjectWriteOptions {
  type: number;
  /** Data block size: a power of two ≤ 128 KiB, or any 512 multiple for a single-block object. */
  blockSize: number;
  nblkptr: number;
  dataCopies: number;
  metaCopies: number;
  dataCompress: number;
  metaCompress: number;
  /** blk_fill of a level-0 block (1 for data; allocated dnodes for dnode blocks). */
  fillOf?: (data: Uint8Array) => number;
}

export interface WrittenObject {
  blkptr: (BlkptrFields | null)[];
  nlevels: number;
  maxblkid: number;
  used: number;
  datablkszsec: number;
  fill: number;
}

/** Block size ZPL uses for a file of `size` bytes (reference §9.3). */
export function fileBlockSize(size: number, recordSize = SPA_MAXBLOCKSIZE): number {
  if (size <= recordSize) return Math.max(512, Math.ceil(size / 512) * 512);
  return recordSize;
}

export function writeObject(
  bw: BlockWriter,
  content: Uint8Array,
  o: ObjectWriteOptions,
  account: SpaceAccount,
): WrittenObject {
  const bs = o.blockSize;
  const nblocks = Math.max(1, Math.ceil(content.length / bs));
  let used = 0;
  const acct: SpaceAccount = { used: 0, compressed: 0, uncompressed: 0 };
  let level: ({ bp: BlkptrFields; fill: number } | null)[] = [];
  for (let b = 0; b < nblocks; b++) {
    const block = new Uint8Array(bs);
    block.set(content.subarray(b * bs, Math.min(content.length, (b + 1) * bs)));
    if (isAllZero(block)) {
      level.push(null);
      continue;
    }
    const fill = o.fillOf ? o.fillOf(block) : 1;
    const bp = bw.write(block, { type: o.type, level: 0, copies: o.dataCopies, compress: o.dataCompress, fill }, acct);
    level.push({ bp, fill });
  }
  const maxblkid = content.length === 0 ? 0 : nblocks - 1;
  let nlevels = 1;
  while (level.length > o.nblkptr) {
    const next: ({ bp: BlkptrFields; fill: number } | null)[] = [];
    const per = 2 ** EPBS;
    for (let i = 0; i < level.length; i += per) {
      const children = level.slice(i, i + per);
      if (children.every((c) => c === null)) {
        next.push(null);
        continue;
      }
      const ind = new Uint8Array(2 ** INDBLKSHIFT);
      let fill = 0;
      children.forEach((c, k) => {
        if (c) {
          encodeBlkptr(ind, k * BLKPTR_SIZE, c.bp);
          fill += c.fill;
        } else encodeHole(ind, k * BLKPTR_SIZE);
      });
      const bp = bw.write(
        ind,
        { type: o.type, level: nlevels, copies: o.metaCopies, compress: o.metaCompress, fill },
        acct,
      );
      next.push({ bp, fill });
    }
    level = next;
    nlevels++;
  }
  used += acct.used;
  account.used += acct.used;
  account.compressed += acct.compressed;
  account.uncompressed += acct.uncompressed;
  const blkptr: (BlkptrFields | null)[] = [];
  for (let i = 0; i < o.nblkptr; i++) blkptr.push(level[i]?.bp ?? null);
  return {
    blkptr,
    nlevels,
    maxblkid,
    used,
    datablkszsec: bs / 512,
    fill: level.reduce((a, c) => a + (c?.fill ?? 0), 0),
  };
}

export interface DnodeFields {
  type: number;
  bonustype: number;
  bonus: Uint8Array;
  flags: number;
  written: WrittenObject;
}

/** Encodes a full 512-byte dnode slot. */
export function encodeDnode(buf: Uint8Array, offset: number, d: DnodeFields): void {
  const w = d.written;
  buf.fill(0, offset, offset + DNODE_SIZE);
  encodeDnodeHeader(buf, offset, {
    type: d.type,
    indblkshift: INDBLKSHIFT,
    nlevels: w.nlevels,
    nblkptr: w.blkptr.length,
    bonustype: d.bonustype,
    flags: d.flags,
    datablkszsec: w.datablkszsec,
    bonuslen: d.bonus.length,
    maxblkid: w.maxblkid,
    used: w.used,
  });
  w.blkptr.forEach((bp, i) => {
    if (bp) encodeBlkptr(buf, offset + DN_BONUS_OFFSET + i * BLKPTR_SIZE, bp);
  });
  buf.set(d.bonus, offset + DN_BONUS_OFFSET + w.blkptr.length * BLKPTR_SIZE);
}
