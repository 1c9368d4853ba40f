// A writable object set (dmu_objset.c / dnode.c / dbuf.c, write side, one txg at a time).
// Changes to objects accumulate in memory as dirty objects (dnode fields, bonus, whole level-0
// blocks, a truncation point); reads see them over the last synced state. `sync` writes them
// copy-on-write bottom-up: each dirty object's tree, then the dnode blocks that hold the dirty
// dnodes, the meta-dnode's tree, and a new objset_phys_t (reference §6, §10.1). With ZPL user
// accounting on, the user/group-used ZAPs (objects −1/−2) get each synced znode's change of
// DNODE_SIZE + dn_used, as do_userquota_callback does (dmu_objset.c).
import { ENOTSUP, Errno, KernelError } from '@osv-ts/kernel-api';
import { decodeBlkptr, type Blkptr, type BlkptrFields } from '../format/blkptr.js';
import { putU16, putU64, viewOf } from '../format/bytes.js';
import {
  dataBlockSize,
  decodeDnode,
  DN_BONUS_OFFSET,
  DNODE_FLAG_USED_BYTES,
  DNODE_FLAG_USERUSED_ACCOUNTED,
  DNODE_SIZE,
  type Dnode,
} from '../format/dnode.js';
import { OBJSET_PHYS_SIZE } from '../format/objset.js';
import type { BlockReader } from '../pool/block-reader.js';
import { buildZap } from '../write/zap-builder.js';
import { ZapReader } from '../zap/zap-reader.js';
import { ObjectSet } from './objset.js';
import { levelsFor, rawIsHole, syncTree, type RawBp } from './tree-sync.js';
import { UserUsage, type UsageKind } from './user-usage.js';

export const DMU_OT_DNODE = 10;
export const DMU_OT_OBJSET = 11;
export const DMU_OT_USERGROUP_USED = 39;
const MAX_BONUS = 320;
export const DEFAULT_INDBLKSHIFT = 14;
const USERUSED_OFFSET = 1024;
const GROUPUSED_OFFSET = 1536;

/** dnode_allocate: as many blkptrs as fit beside the bonus. */
export function nblkptrForBonus(bonuslen: number): number {
  return 1 + Math.floor((MAX_BONUS - bonuslen) / 128);
}

/** One object's uncommitted state. */
export class DirtyObject {
  type: number;
  bonustype: number;
  bonus: Uint8Array;
  nblkptr: number;
  indblkshift: number;
  blockSize: number;
  maxblkid: number;
  flags: number;
  /** New contents of whole level-0 blocks. */
  readonly blocks = new Map<number, Uint8Array>();
  /** Committed blocks with blkid ≥ freeFrom no longer exist. */
  freeFrom = Infinity;
  freed = false;

  constructor(
    readonly obj: number,
    readonly base: { dnode: Dnode; raw: Uint8Array } | null,
    init?: { type: number; bonustype: number; bonus: Uint8Array; blockSize: number; nblkptr: number },
  ) {
    const d = base?.dnode;
    this.type = d?.type ?? init!.type;
    this.bonustype = d?.bonustype ?? init!.bonustype;
    this.bonus = d ? d.bonus.slice() : init!.bonus;
    this.nblkptr = d?.nblkptr ?? init!.nblkptr;
    this.indblkshift = d?.indblkshift || DEFAULT_INDBLKSHIFT;
    this.blockSize = d ? dataBlockSize(d) : init!.blockSize;
    this.maxblkid = d?.maxblkid ?? 0;
    this.flags = d?.flags ?? DNODE_FLAG_USED_BYTES;
  }

  /** New whole contents: every committed block goes, `data` is cut into blocks. */
  replaceWith(data: Uint8Array, blockSize: number): void {
    this.blocks.clear();
    this.freeFrom = 0;
    this.blockSize = blockSize;
    const n = Math.max(1, Math.ceil(data.length / blockSize));
    for (let b = 0; b < n; b++) {
      const block = new Uint8Array(blockSize);
      block.set(data.subarray(b * blockSize, Math.min(data.length, (b + 1) * blockSize)));
      this.blocks.set(b, block);
    }
    this.maxblkid = n - 1;
  }
}

/** How blocks of this objset are written and what happens to blocks that leave it. */
export interface ObjsetIo {
  readonly txg: number;
  /** Writes one block; returns its blkptr fields (birth = txg). */
  write(data: Uint8Array, o: { type: number; level: number; fill: number }): BlkptrFields;
  /** A block of this objset is no longer referenced by the new tree. */
  kill(bp: Blkptr): void;
  encode(bp: BlkptrFields): RawBp;
}

export interface ObjsetWriterOptions {
  /** Maintain the user/group-used objects (ZPL objsets). */
  userAccounting: boolean;
}

export class ObjsetWriter {
  committed: ObjectSet;
  private committedRaw: Uint8Array;
  readonly dirty = new Map<number, DirtyObject>();
  private nextObj: number;

  constructor(
    readonly reader: BlockReader,
    rootbp: Blkptr,
    readonly options: ObjsetWriterOptions,
  ) {
    this.committed = new ObjectSet(reader, rootbp);
    this.committedRaw = this.readObjsetRaw(rootbp);
    let max = 0;
    for (const obj of this.committed.objects()) max = Math.max(max, obj);
    this.nextObj = max + 1;
  }

  private readObjsetRaw(bp: Blkptr): Uint8Array {
    const raw = this.reader.read(bp);
    if (raw.length < OBJSET_PHYS_SIZE)
      throw new KernelError(ENOTSUP, `objset_phys of ${raw.length} bytes (SPA < 15) cannot be written`);
    if (!bp.littleEndian) throw new KernelError(ENOTSUP, 'writing big-endian objsets');
    return raw.slice();
  }

  get isDirty(): boolean {
    return this.dirty.size > 0;
  }

  /** Bytes of uncommitted dnodes and blocks held in memory (for write throttling). */
  get dirtyBytes(): number {
    let n = 0;
    for (const d of this.dirty.values()) {
      n += DNODE_SIZE;
      for (const b of d.blocks.values()) n += b.length;
    }
    return n;
  }

  /** The committed raw 512-byte dnode of `obj`, or null if free. */
  private committedDnode(obj: number): { dnode: Dnode; raw: Uint8Array } | null {
    const md = this.committed.metaDnode;
    const perBlock = dataBlockSize(md) / DNODE_SIZE;
    const blkid = Math.floor(obj / perBlock);
    if (blkid > md.maxblkid) return null;
    const got = this.committed.block(md, blkid);
    if (got === null) return null;
    const off = (obj % perBlock) * DNODE_SIZE;
    const raw = got.data.slice(off, off + DNODE_SIZE);
    if (raw[0] === 0) return null;
    const dnode = decodeDnode(raw, 0, true);
    if (dnode.extraSlots !== 0 || dnode.spill !== null)
      throw new KernelError(ENOTSUP, `object ${obj} uses large dnodes or spill blocks`);
    return { dnode, raw };
  }

  exists(obj: number): boolean {
    const d = this.dirty.get(obj);
    if (d) return !d.freed;
    return this.committedDnode(obj) !== null;
  }

  /** The dirty state of `obj`, created from the committed dnode on first use. */
  hold(obj: number): DirtyObject {
    let d = this.dirty.get(obj);
    if (d) {
      if (d.freed) throw new KernelError(Errno.ENOENT, `object ${obj} was freed`);
      return d;
    }
    const base = this.committedDnode(obj);
    if (!base) throw new KernelError(Errno.ENOENT, `object ${obj} is not allocated`);
    d = new DirtyObject(obj, base);
    this.dirty.set(obj, d);
    return d;
  }

  /** Allocates a new object (dmu_object_alloc). */
  create(type: number, bonustype: number, bonus: Uint8Array, blockSize: number): number {
    // Numbers only grow within a session, so a slot is never reused before its free is synced.
    const obj = this.nextObj++;
    if (this.dirty.has(obj) || this.committedDnode(obj)) throw new KernelError(Errno.EEXIST, `object ${obj} in use`);
    this.dirty.set(
      obj,
      new DirtyObject(obj, null, { type, bonustype, bonus, blockSize, nblkptr: nblkptrForBonus(bonus.length) }),
    );
    return obj;
  }

  /** Frees an object and all its blocks (dmu_object_free). */
  remove(obj: number): void {
    const d = this.hold(obj);
    d.freed = true;
    d.blocks.clear();
  }

  bonus(obj: number): Uint8Array {
    const d = this.dirty.get(obj);
    if (d && !d.freed) return d.bonus;
    const c = this.committedDnode(obj);
    if (!c) throw new KernelError(Errno.ENOENT, `object ${obj} is not allocated`);
    return c.dnode.bonus;
  }

  setBonus(obj: number, bonus: Uint8Array): void {
    const d = this.hold(obj);
    if (bonus.length > MAX_BONUS - (d.nblkptr - 1) * 128) {
      throw new KernelError(Errno.EINVAL, `bonus of ${bonus.length} bytes does not fit object ${obj}`);
    }
    d.bonus = bonus;
  }

  /** Geometry of an allocated object as it is now. */
  info(obj: number): { type: number; bonustype: number; blockSize: number; maxblkid: number; used: number } {
    const d = this.dirty.get(obj);
    if (d && !d.freed)
      return {
        type: d.type,
        bonustype: d.bonustype,
        blockSize: d.blockSize,
        maxblkid: d.maxblkid,
        used: d.base?.dnode.used ?? 0,
      };
    const c = this.committedDnode(obj);
    if (!c) throw new KernelError(Errno.ENOENT, `object ${obj} is not allocated`);
    return {
      type: c.dnode.type,
      bonustype: c.dnode.bonustype,
      blockSize: dataBlockSize(c.dnode),
      maxblkid: c.dnode.maxblkid,
      used: c.dnode.used,
    };
  }

  /** Level-0 block `blkid` as it is now (do not mutate), or null for a hole. */
  readBlock(obj: number, blkid: number): Uint8Array | null {
    const d = this.dirty.get(obj);
    if (d) {
      if (d.freed) return null;
      const b = d.blocks.get(blkid);
      if (b) return b;
      if (blkid >= d.freeFrom || !d.base) return null;
      return this.committed.block(d.base.dnode, blkid)?.data ?? null;
    }
    const c = this.committedDnode(obj);
    if (!c) throw new KernelError(Errno.ENOENT, `object ${obj} is not allocated`);
    return this.committed.block(c.dnode, blkid)?.data ?? null;
  }

  read(obj: number, offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    const bs = this.info(obj).blockSize;
    let pos = offset;
    while (pos < offset + length) {
      const blkid = Math.floor(pos / bs);
      const inBlock = pos - blkid * bs;
      const n = Math.min(bs - inBlock, offset + length - pos);
      const b = this.readBlock(obj, blkid);
      if (b) out.set(b.subarray(inBlock, inBlock + n), pos - offset);
      pos += n;
    }
    return out;
  }

  /** A writable copy of block `blkid`, marked dirty. */
  private dirtyBlock(d: DirtyObject, blkid: number): Uint8Array {
    let b = d.blocks.get(blkid);
    if (!b) {
      b = new Uint8Array(d.blockSize);
      const cur = this.readBlock(d.obj, blkid);
      if (cur) b.set(cur.subarray(0, d.blockSize));
      d.blocks.set(blkid, b);
    }
    return b;
  }

  write(obj: number, offset: number, data: Uint8Array): void {
    const d = this.hold(obj);
    const bs = d.blockSize;
    let pos = offset;
    while (pos < offset + data.length) {
      const blkid = Math.floor(pos / bs);
      const inBlock = pos - blkid * bs;
      const n = Math.min(bs - inBlock, offset + data.length - pos);
      this.dirtyBlock(d, blkid).set(data.subarray(pos - offset, pos - offset + n), inBlock);
      if (blkid > d.maxblkid) d.maxblkid = blkid;
      pos += n;
    }
  }

  /** Changes the block size of an object that has at most block 0 (dnode_set_blksz). */
  setBlockSize(obj: number, blockSize: number): void {
    const d = this.hold(obj);
    if (blockSize === d.blockSize) return;
    if (d.maxblkid > 0) throw new KernelError(Errno.EINVAL, `object ${obj} has more than one block`);
    const cur = this.readBlock(obj, 0);
    d.blocks.clear();
    d.freeFrom = 0;
    d.blockSize = blockSize;
    if (cur) {
      const b = new Uint8Array(blockSize);
      b.set(cur.subarray(0, Math.min(cur.length, blockSize)));
      d.blocks.set(0, b);
    }
  }

  /** Drops everything from byte `size` on: later blocks are freed, the last one is zero-filled. */
  truncate(obj: number, size: number): void {
    const d = this.hold(obj);
    const bs = d.blockSize;
    const keep = Math.ceil(size / bs);
    for (const k of [...d.blocks.keys()]) if (k >= keep) d.blocks.delete(k);
    d.freeFrom = Math.min(d.freeFrom, keep);
    if (size % bs !== 0 && this.readBlock(obj, keep - 1) !== null) this.dirtyBlock(d, keep - 1).fill(0, size % bs);
    // dnode_sync_free_range: a truncation to the end lowers dn_maxblkid.
    d.maxblkid = Math.max(0, Math.min(d.maxblkid, keep - 1));
  }

  /** Replaces an object's whole contents (a rebuilt ZAP). */
  replace(obj: number, data: Uint8Array, blockSize: number): void {
    this.hold(obj).replaceWith(data, blockSize);
  }

  /** Writes every dirty object and a new objset_phys_t; returns the new objset blkptr. */
  sync(io: ObjsetIo): BlkptrFields {
    const dnodeRaw = new Map<number, Uint8Array>();
    const usage = new UserUsage();
    for (const obj of [...this.dirty.keys()].sort((a, b) => a - b)) {
      const d = this.dirty.get(obj)!;
      if (d.base && this.options.userAccounting) usage.charge(d.base.raw, -1);
      const raw = this.syncObject(d, io);
      if (this.options.userAccounting && raw[0] !== 0) raw[7]! |= DNODE_FLAG_USERUSED_ACCOUNTED;
      if (this.options.userAccounting) usage.charge(raw, 1);
      dnodeRaw.set(obj, raw);
    }
    const osRaw = this.committedRaw.slice();
    if (usage.changed) {
      osRaw.set(
        this.syncUsedObject(-1, osRaw.subarray(USERUSED_OFFSET, USERUSED_OFFSET + DNODE_SIZE), usage, 'user', io),
        USERUSED_OFFSET,
      );
      osRaw.set(
        this.syncUsedObject(-2, osRaw.subarray(GROUPUSED_OFFSET, GROUPUSED_OFFSET + DNODE_SIZE), usage, 'group', io),
        GROUPUSED_OFFSET,
      );
    }
    // Dnode blocks: the committed block with the dirty slots patched in.
    const md = this.committed.metaDnode;
    const meta = new DirtyObject(0, { dnode: md, raw: osRaw.slice(0, DNODE_SIZE) });
    const perBlock = dataBlockSize(md) / DNODE_SIZE;
    for (const [obj, raw] of dnodeRaw) {
      const blkid = Math.floor(obj / perBlock);
      let block = meta.blocks.get(blkid);
      if (!block) {
        block = new Uint8Array(dataBlockSize(md));
        const cur = blkid <= md.maxblkid ? this.committed.block(md, blkid) : null;
        if (cur) block.set(cur.data);
        meta.blocks.set(blkid, block);
        meta.maxblkid = Math.max(meta.maxblkid, blkid);
      }
      block.set(raw, (obj % perBlock) * DNODE_SIZE);
    }
    osRaw.set(this.syncObject(meta, io, countDnodes), 0);
    const fill = this.metaFill(osRaw);
    // Kill before write: a block of an earlier sync pass of this txg is released at once, so
    // the rewrite lands in the same place and the passes converge.
    io.kill(this.committed.rootbp);
    const bp = io.write(osRaw, { type: DMU_OT_OBJSET, level: 0, fill });
    this.committedRaw = osRaw;
    this.committed = new ObjectSet(this.reader, decodeBlkptr(io.encode(bp), 0, true));
    this.dirty.clear();
    return bp;
  }

  /** blk_fill of the objset block: the allocated objects (sum of the meta-dnode's top fills). */
  private metaFill(osRaw: Uint8Array): number {
    const v = viewOf(osRaw);
    let n = 0;
    for (let i = 0; i < osRaw[3]!; i++) {
      const at = DN_BONUS_OFFSET + i * 128;
      if ((v.getUint32(at, true) & 0xffffff) !== 0) n += Number(v.getBigUint64(at + 88, true));
    }
    return n;
  }

  /** Syncs one object's tree and returns its new 512-byte dnode (zeros when freed). */
  private syncObject(d: DirtyObject, io: ObjsetIo, fillOf: (b: Uint8Array) => number = () => 1): Uint8Array {
    const base = d.base?.dnode;
    const shape =
      base && base.type !== 0
        ? { nlevels: base.nlevels, nblkptr: base.nblkptr, indblkshift: base.indblkshift }
        : { nlevels: 1, nblkptr: d.nblkptr, indblkshift: d.indblkshift };
    const oldTop: (RawBp | null)[] = [];
    if (base && base.type !== 0) {
      for (let i = 0; i < base.nblkptr; i++) {
        const raw = d.base.raw.slice(DN_BONUS_OFFSET + i * 128, DN_BONUS_OFFSET + (i + 1) * 128);
        oldTop.push(rawIsHole(raw) ? null : raw);
      }
    }
    const treeIo = {
      readIndirect: (bp: RawBp) => this.reader.read(decodeBlkptr(bp, 0, true)),
      write: (data: Uint8Array, level: number, fill: number) =>
        io.encode(io.write(data, { type: d.type, level, fill })),
      kill: (bp: RawBp) => io.kill(decodeBlkptr(bp, 0, true)),
      fillOf,
    };
    if (d.freed || d.nblkptr !== shape.nblkptr) {
      // Free the whole committed tree (an object freed, or a slot reused by a new object).
      syncTree(shape, oldTop, { nlevels: shape.nlevels, dirty: new Map(), freeFrom: 0 }, treeIo);
      if (d.freed) return new Uint8Array(DNODE_SIZE);
      shape.nlevels = 1;
      shape.nblkptr = d.nblkptr;
      oldTop.length = 0;
    }
    const nlevels = Math.max(shape.nlevels, levelsFor(d.maxblkid, shape.nblkptr, shape.indblkshift));
    const r = syncTree(shape, oldTop, { nlevels, dirty: d.blocks, freeFrom: d.freeFrom }, treeIo);
    const used = (base && base.type !== 0 && d.nblkptr === base.nblkptr ? base.used : 0) + r.bornBytes - r.killedBytes;
    const raw = new Uint8Array(DNODE_SIZE);
    raw[0] = d.type;
    raw[1] = shape.indblkshift;
    raw[2] = nlevels;
    raw[3] = shape.nblkptr;
    raw[4] = d.bonustype;
    raw[5] = base?.checksum ?? 0;
    raw[6] = base?.compress ?? 0;
    raw[7] = d.flags | DNODE_FLAG_USED_BYTES;
    putU16(raw, 8, d.blockSize / 512);
    putU16(raw, 10, d.bonus.length);
    putU64(raw, 16, d.maxblkid);
    putU64(raw, 24, used);
    r.top.forEach((bp, i) => {
      if (bp) raw.set(bp, DN_BONUS_OFFSET + i * 128);
    });
    raw.set(d.bonus, DN_BONUS_OFFSET + shape.nblkptr * 128);
    return raw;
  }

  /** Rewrites the user- or group-used ZAP (object −1/−2) with this txg's deltas applied. */
  private syncUsedObject(obj: number, raw: Uint8Array, usage: UserUsage, kind: UsageKind, io: ObjsetIo): Uint8Array {
    const exists = raw[0] !== 0;
    const old = exists ? ZapReader.open(this.committed, obj) : null;
    const values = usage.apply(kind, new Map(old ? old.entries().map((e) => [e.name, e.values[0] ?? 0n]) : []));
    if (values === null) return raw.slice();
    const d = exists
      ? new DirtyObject(obj, { dnode: decodeDnode(raw, 0, true), raw: raw.slice() })
      : new DirtyObject(obj, null, {
          type: DMU_OT_USERGROUP_USED,
          bonustype: 0,
          bonus: new Uint8Array(0),
          blockSize: 512,
          nblkptr: 3,
        });
    const z = buildZap(
      [...values].map(([name, value]) => ({ name, value })),
      old?.salt ?? 0x5a17_0001n,
      old?.shape,
    );
    d.replaceWith(z.data, z.blockSize);
    return this.syncObject(d, io);
  }
}

/** blk_fill of a dnode block: its allocated dnodes. */
function countDnodes(block: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < block.length; i += DNODE_SIZE) if (block[i] !== 0) n++;
  return n;
}
