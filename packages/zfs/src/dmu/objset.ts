// A DMU object set (dmu_objset.c / dnode.c read side): objects are dnodes stored in the
// meta-dnode's data; an object's blocks are reached through its indirect-block tree.
import { Errno, KernelError } from '@osv-ts/kernel-api';
import { BLKPTR_SIZE, decodeBlkptr, isHole, type Blkptr } from '../format/blkptr.js';
import { dataBlockSize, decodeDnode, DNODE_SIZE, type Dnode } from '../format/dnode.js';
import { decodeObjsetPhys, type ObjsetPhys } from '../format/objset.js';
import type { BlockReader } from '../pool/block-reader.js';

export class ObjectSet {
  readonly phys: ObjsetPhys;

  constructor(
    readonly reader: BlockReader,
    readonly rootbp: Blkptr,
  ) {
    this.phys = decodeObjsetPhys(reader.read(rootbp), rootbp.littleEndian);
  }

  get metaDnode(): Dnode {
    return this.phys.metaDnode;
  }

  /** Number of object slots the meta-dnode covers. */
  get objectSlots(): number {
    const md = this.phys.metaDnode;
    return ((md.maxblkid + 1) * dataBlockSize(md)) / DNODE_SIZE;
  }

  /** The dnode of object `obj` (type 0 if free). Negative ids name the user/group-used objects. */
  dnode(obj: number): Dnode {
    if (obj === -1 || obj === -2) {
      const dn = obj === -1 ? this.phys.userUsed : this.phys.groupUsed;
      if (!dn) throw new KernelError(Errno.ENOENT, `objset has no object ${obj}`);
      return dn;
    }
    const md = this.phys.metaDnode;
    const bs = dataBlockSize(md);
    const perBlock = bs / DNODE_SIZE;
    if (!Number.isSafeInteger(obj) || obj < 0) throw new KernelError(Errno.EINVAL, `bad object number ${obj}`);
    const blkid = Math.floor(obj / perBlock);
    if (blkid > md.maxblkid) throw new KernelError(Errno.ENOENT, `object ${obj} beyond meta-dnode`);
    const got = this.block(md, blkid);
    if (got === null) return decodeDnode(new Uint8Array(DNODE_SIZE), 0, true);
    const off = (obj % perBlock) * DNODE_SIZE;
    try {
      return decodeDnode(got.data, off, got.le);
    } catch (e) {
      throw new KernelError(Errno.EIO, `object ${obj}: ${(e as Error).message}`);
    }
  }

  /** Like dnode() but requires an allocated object. */
  object(obj: number): Dnode {
    const dn = this.dnode(obj);
    if (dn.type === 0) throw new KernelError(Errno.ENOENT, `object ${obj} is not allocated`);
    return dn;
  }

  /** The level-0 blkptr for `blkid`, or null if it lies under a hole. */
  blockPointer(dn: Dnode, blkid: number): Blkptr | null {
    if (blkid > dn.maxblkid || blkid < 0) return null;
    const epbs = dn.indblkshift - 7;
    const top = dn.nlevels - 1;
    const topIndex = Math.floor(blkid / 2 ** (epbs * top));
    if (topIndex >= dn.nblkptr) return null;
    let bp = dn.blkptr[topIndex]!;
    for (let level = top; level > 0; level--) {
      if (isHole(bp) && !bp.embedded) return null;
      if (bp.level !== level && !isHole(bp)) {
        throw new KernelError(Errno.EIO, `blkptr level ${bp.level} where ${level} expected`);
      }
      const ind = this.reader.read(bp);
      const slot = Math.floor(blkid / 2 ** (epbs * (level - 1))) % 2 ** epbs;
      if ((slot + 1) * BLKPTR_SIZE > ind.length) throw new KernelError(Errno.EIO, 'indirect block too small');
      bp = decodeBlkptr(ind, slot * BLKPTR_SIZE, bp.littleEndian);
    }
    return isHole(bp) ? null : bp;
  }

  /** Level-0 block `blkid` of `dn` with its byte order, or null for a hole. */
  block(dn: Dnode, blkid: number): { data: Uint8Array; le: boolean } | null {
    const bp = this.blockPointer(dn, blkid);
    if (bp === null) return null;
    return { data: this.reader.read(bp), le: bp.littleEndian };
  }

  /** Reads `length` bytes at `offset` of the object's data (holes read as zeros). */
  read(dn: Dnode, offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    const bs = dataBlockSize(dn);
    let pos = offset;
    const end = offset + length;
    while (pos < end) {
      const blkid = Math.floor(pos / bs);
      const inBlock = pos - blkid * bs;
      const n = Math.min(bs - inBlock, end - pos);
      const got = this.block(dn, blkid);
      if (got !== null) out.set(got.data.subarray(inBlock, inBlock + n), pos - offset);
      pos += n;
    }
    return out;
  }

  /**
   * Level-0 block ids of `dn` that are not holes, in order. Walks the indirect tree, so a hole
   * high up skips everything under it (a corrupt dn_maxblkid cannot make this loop for long).
   */
  *dataBlocks(dn: Dnode): Generator<number> {
    const epbs = dn.indblkshift - 7;
    const top = dn.nlevels - 1;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- a nested generator function (no arrow form) reads the objset
    const self = this;
    function* walk(bp: Blkptr, level: number, firstBlkid: number): Generator<number> {
      if (isHole(bp) && !bp.embedded) return;
      if (level === 0) {
        if (firstBlkid <= dn.maxblkid) yield firstBlkid;
        return;
      }
      const ind = self.reader.read(bp);
      const span = 2 ** (epbs * (level - 1));
      for (let i = 0; (i + 1) * BLKPTR_SIZE <= ind.length && i < 2 ** epbs; i++) {
        const first = firstBlkid + i * span;
        if (first > dn.maxblkid) return;
        yield* walk(decodeBlkptr(ind, i * BLKPTR_SIZE, bp.littleEndian), level - 1, first);
      }
    }
    for (let i = 0; i < dn.blkptr.length; i++) yield* walk(dn.blkptr[i]!, top, i * 2 ** (epbs * top));
  }

  /** Every allocated object number (walks the meta-dnode's non-hole blocks). */
  *objects(): Generator<number> {
    const md = this.phys.metaDnode;
    const perBlock = dataBlockSize(md) / DNODE_SIZE;
    for (const blkid of this.dataBlocks(md)) {
      const got = this.block(md, blkid);
      if (got === null) continue;
      for (let i = 0; i < perBlock; i++) {
        const obj = blkid * perBlock + i;
        if (got.data[i * DNODE_SIZE] !== 0) {
          yield obj;
          i += got.data[i * DNODE_SIZE + 12]!; // large_dnode: skip the slots this dnode spans
        }
      }
    }
  }
}
