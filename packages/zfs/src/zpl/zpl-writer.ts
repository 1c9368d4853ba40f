// The ZFS POSIX layer, write side (zfs_vnops.c / zfs_dir.c / zfs_znode.c for ZPL ≤ 4): files,
// directories, symlinks and hard links of one dataset as znodes in an ObjsetWriter. Reads see
// the uncommitted state. Directories are kept as name → dirent maps while they change and
// rebuilt as a ZAP at sync (microZAP while it fits, fat ZAP with split leaves beyond, the limits
// zfs-fuse uses: reference §7.1), with their salt kept so readdir cookies stay put.
// Timestamps follow Linux: data writes set mtime/ctime, entry changes set the directory's
// mtime/ctime, attribute and link-count changes set ctime.
//
// A file whose last link goes while it is still open moves to the delete queue (zfs_unlinked_add)
// and is freed when released; what a session left on the queue is freed when the next one opens
// the file system (zfs-fuse drains it at mount too).
// Left out: xattr directories, non-trivial ACLs (chmod regenerates the trivial ACL), FUIDs,
// quotas.
import { Errno, KernelError, type Clock, type Entropy } from '@osv-ts/kernel-api';
import { viewOf } from '../format/bytes.js';
import {
  decodeDirent,
  decodeZnodePhys,
  encodeDirent,
  encodeZnodePhys,
  S_IFDIR,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
  ZNODE_PHYS_SIZE,
  type Timespec,
  type ZnodeAttrs,
} from '../format/znode.js';
import type { ObjsetWriter } from '../dmu/objset-writer.js';
import { buildZap } from '../write/zap-builder.js';
import { ZapReader } from '../zap/zap-reader.js';
import { fileTypeOfMode, type DirEntry, type Znode } from './zpl.js';

const DMU_OT_ZNODE = 17;
const DMU_OT_PLAIN_FILE_CONTENTS = 19;
const DMU_OT_DIRECTORY_CONTENTS = 20;
const ZNODE_FLAGS = 0x0000040800000004n; // AV_MODIFIED | ARCHIVE | ACL_TRIVIAL (reference §9.2)
const ZNODE_FLAGS_SYMLINK = 0x0000040800000104n;
const MAX_BONUS = 320;
export const ZPL_RECORDSIZE = 128 * 1024;
const NAME_MAX = 255;
const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

export interface ZplWriterOptions {
  clock: Clock;
  entropy: Entropy;
  /** The txg that the next sync will write (zp_gen of new znodes). */
  openTxg: () => number;
  /** Throws ENOSPC when a change adding this many bytes could not be synced. */
  reserve?: (bytes: number) => void;
}

export interface SetAttrs {
  mode?: number;
  uid?: number;
  gid?: number;
  atime?: Timespec;
  mtime?: Timespec;
}

export class ZplWriter {
  readonly rootObj: number;
  readonly version: number;
  readonly deleteQueueObj: number;
  /** ZAPs (directories, the delete queue) loaded as name → value, and the changed ones. */
  private readonly dirs = new Map<number, Map<string, bigint>>();
  private readonly changed = new Set<number>();

  constructor(
    readonly os: ObjsetWriter,
    private readonly o: ZplWriterOptions,
  ) {
    const master = ZapReader.open(os.committed, 1);
    this.version = master.lookupNumber('VERSION') ?? 0;
    if (this.version > 4)
      throw new KernelError(
        Errno.EROFS,
        `writing ZPL version ${this.version} (system attributes) is not supported; ZPL 3–4 only`,
      );
    // Names in normalizing or case-insensitive file systems need zap_normalize; not done here.
    for (const key of ['normalization', 'casesensitivity']) {
      if ((master.lookupNumber(key) ?? 0) !== 0)
        throw new KernelError(Errno.EROFS, `writing a file system with ${key} set is not supported`);
    }
    const root = master.lookupNumber('ROOT');
    if (root === undefined) throw new KernelError(Errno.EIO, 'ZPL master node has no ROOT');
    this.rootObj = root;
    this.deleteQueueObj = master.lookupNumber('DELETE_QUEUE') ?? 0;
    this.drainDeleteQueue();
  }

  /**
   * zfs_unlinked_drain: files that were unlinked while open when the last session ended are
   * freed now (committed by the next sync).
   */
  private drainDeleteQueue(): void {
    if (this.deleteQueueObj === 0) return;
    for (const value of [...this.zap(this.deleteQueueObj).values()]) this.release(Number(value));
  }

  private now(): Timespec {
    const ns = this.o.clock.realtimeNs();
    return { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) };
  }

  // ---- reading --------------------------------------------------------------------------------

  stat(obj: number): Znode {
    if (!this.os.exists(obj)) throw new KernelError(Errno.ENOENT, `object ${obj}`);
    if (this.os.info(obj).bonustype !== DMU_OT_ZNODE) throw new KernelError(Errno.EIO, `object ${obj} is not a znode`);
    const z = decodeZnodePhys(this.os.bonus(obj), true);
    return { ...z, obj, type: fileTypeOfMode(z.mode) };
  }

  private dir(obj: number): Map<string, bigint> {
    if (!this.dirs.has(obj) && this.stat(obj).type !== 'dir') throw new KernelError(Errno.ENOTDIR, `object ${obj}`);
    return this.zap(obj);
  }

  private zap(obj: number): Map<string, bigint> {
    let m = this.dirs.get(obj);
    if (m) return m;
    m = new Map();
    for (const e of ZapReader.open(this.os.committed, obj).entries()) m.set(e.name, e.values[0] ?? 0n);
    this.dirs.set(obj, m);
    return m;
  }

  readdir(dir: number): DirEntry[] {
    return [...this.dir(dir)].map(([name, v]) => {
      const d = decodeDirent(v);
      return { name, obj: d.obj, type: fileTypeOfMode(d.dtype << 12) };
    });
  }

  lookup(dir: number, name: string): DirEntry {
    const v = this.dir(dir).get(name);
    if (v === undefined) throw new KernelError(Errno.ENOENT, name);
    const d = decodeDirent(v);
    return { name, obj: d.obj, type: fileTypeOfMode(d.dtype << 12) };
  }

  read(obj: number, offset: number, length: number): Uint8Array {
    const z = this.stat(obj);
    if (z.type === 'dir') throw new KernelError(Errno.EISDIR, `object ${obj}`);
    const n = Math.max(0, Math.min(length, z.size - offset));
    return n === 0 ? new Uint8Array(0) : this.os.read(obj, offset, n);
  }

  readlink(obj: number): string {
    const z = this.stat(obj);
    if (z.type !== 'symlink') throw new KernelError(Errno.EINVAL, `object ${obj} is not a symlink`);
    const bonus = this.os.bonus(obj);
    if (bonus.length > ZNODE_PHYS_SIZE) return utf8d.decode(bonus.subarray(ZNODE_PHYS_SIZE, ZNODE_PHYS_SIZE + z.size));
    return utf8d.decode(this.os.read(obj, 0, z.size));
  }

  // ---- znode updates --------------------------------------------------------------------------

  private update(obj: number, change: (z: ZnodeAttrs) => Partial<ZnodeAttrs>): void {
    const bonus = this.os.bonus(obj);
    const z = decodeZnodePhys(bonus, true);
    const next = new Uint8Array(bonus.length);
    next.set(bonus);
    encodeZnodePhys(next, 0, { ...z, ...change(z) });
    // encodeZnodePhys regenerates the trivial ACL from the mode; keep zp_zap and padding.
    next.set(bonus.subarray(144, 176), 144);
    this.os.setBonus(obj, next);
  }

  private touchDir(dir: number, sizeDelta: number, linkDelta = 0): void {
    const t = this.now();
    this.update(dir, (z) => ({ size: z.size + sizeDelta, links: z.links + linkDelta, mtime: t, ctime: t }));
  }

  private newZnode(mode: number, parent: number, uid: number, gid: number, extra?: Uint8Array): Uint8Array {
    const t = this.now();
    const b = new Uint8Array(ZNODE_PHYS_SIZE + (extra?.length ?? 0));
    encodeZnodePhys(b, 0, {
      atime: t,
      mtime: t,
      ctime: t,
      crtime: t,
      gen: this.o.openTxg(),
      mode,
      size: (mode & S_IFMT) === S_IFDIR ? 2 : 0,
      parent,
      links: (mode & S_IFMT) === S_IFDIR ? 2 : 1,
      xattr: 0,
      rdev: 0,
      flags: (mode & S_IFMT) === S_IFLNK ? ZNODE_FLAGS_SYMLINK : ZNODE_FLAGS,
      uid,
      gid,
    });
    if (extra) b.set(extra, ZNODE_PHYS_SIZE);
    return b;
  }

  private checkName(dir: number, name: string): void {
    // A new entry costs a dnode and a share of its directory's ZAP.
    this.o.reserve?.(2048);
    if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0'))
      throw new KernelError(Errno.EINVAL, `bad name ${JSON.stringify(name)}`);
    if (utf8.encode(name).length > NAME_MAX) throw new KernelError(Errno.ENAMETOOLONG, name);
    if (this.dir(dir).has(name)) throw new KernelError(Errno.EEXIST, name);
  }

  private addEntry(dir: number, name: string, obj: number, mode: number, subdir: boolean): void {
    this.dir(dir).set(name, encodeDirent(obj, mode));
    this.changed.add(dir);
    this.touchDir(dir, 1, subdir ? 1 : 0);
  }

  // ---- operations -----------------------------------------------------------------------------

  create(dir: number, name: string, perm = 0o644, uid = 0, gid = 0): number {
    this.checkName(dir, name);
    const mode = S_IFREG | (perm & 0o7777);
    const obj = this.os.create(DMU_OT_PLAIN_FILE_CONTENTS, DMU_OT_ZNODE, this.newZnode(mode, dir, uid, gid), 512);
    this.addEntry(dir, name, obj, mode, false);
    return obj;
  }

  mkdir(dir: number, name: string, perm = 0o755, uid = 0, gid = 0): number {
    this.checkName(dir, name);
    const mode = S_IFDIR | (perm & 0o7777);
    const obj = this.os.create(DMU_OT_DIRECTORY_CONTENTS, DMU_OT_ZNODE, this.newZnode(mode, dir, uid, gid), 512);
    this.dirs.set(obj, new Map());
    this.changed.add(obj);
    this.addEntry(dir, name, obj, mode, true);
    return obj;
  }

  symlink(dir: number, name: string, target: string, uid = 0, gid = 0): number {
    this.checkName(dir, name);
    const bytes = utf8.encode(target);
    if (bytes.length === 0 || bytes.length > 4096) throw new KernelError(Errno.ENAMETOOLONG, 'symlink target');
    const mode = S_IFLNK | 0o777;
    // Reference §9.3: a target that fits beside the znode lives in the bonus, else in block 0.
    const inline = ZNODE_PHYS_SIZE + bytes.length <= MAX_BONUS;
    const obj = this.os.create(
      DMU_OT_PLAIN_FILE_CONTENTS,
      DMU_OT_ZNODE,
      this.newZnode(mode, dir, uid, gid, inline ? bytes : undefined),
      inline ? 512 : Math.ceil(bytes.length / 512) * 512,
    );
    if (!inline) this.os.write(obj, 0, bytes);
    this.update(obj, () => ({ size: bytes.length }));
    this.addEntry(dir, name, obj, mode, false);
    return obj;
  }

  link(dir: number, name: string, obj: number): void {
    const z = this.stat(obj);
    if (z.type === 'dir') throw new KernelError(Errno.EPERM, 'hard link to a directory');
    this.checkName(dir, name);
    const t = this.now();
    this.update(obj, (x) => ({ links: x.links + 1, ctime: t }));
    this.addEntry(dir, name, obj, z.mode, false);
  }

  /**
   * Removes a non-directory entry. The object is freed with its last link, unless `stillOpen`:
   * then it waits on the delete queue until `release`.
   */
  unlink(dir: number, name: string, stillOpen = false): void {
    const e = this.lookup(dir, name);
    if (e.type === 'dir') throw new KernelError(Errno.EISDIR, name);
    this.dir(dir).delete(name);
    this.changed.add(dir);
    this.touchDir(dir, -1);
    const z = this.stat(e.obj);
    const t = this.now();
    if (z.links > 1) this.update(e.obj, (x) => ({ links: x.links - 1, ctime: t }));
    else if (stillOpen && this.deleteQueueObj !== 0) {
      this.update(e.obj, () => ({ links: 0, ctime: t }));
      this.zap(this.deleteQueueObj).set(e.obj.toString(16), BigInt(e.obj));
      this.changed.add(this.deleteQueueObj);
    } else this.os.remove(e.obj);
  }

  /** The last user of an unlinked object let go of it (zfs_rmnode): free it. */
  release(obj: number): void {
    const q = this.zap(this.deleteQueueObj);
    if (q.delete(obj.toString(16))) this.changed.add(this.deleteQueueObj);
    if (!this.os.exists(obj) || this.os.info(obj).bonustype !== DMU_OT_ZNODE || this.stat(obj).links > 0) return;
    this.os.remove(obj);
  }

  rmdir(dir: number, name: string): void {
    const e = this.lookup(dir, name);
    if (e.type !== 'dir') throw new KernelError(Errno.ENOTDIR, name);
    if (this.dir(e.obj).size > 0) throw new KernelError(Errno.ENOTEMPTY, name);
    this.dir(dir).delete(name);
    this.changed.add(dir);
    this.dirs.delete(e.obj);
    this.changed.delete(e.obj);
    this.os.remove(e.obj);
    this.touchDir(dir, -1, -1);
  }

  /** rename(2): moves `sname` of `sdir` to `dname` of `ddir`, replacing what is there. */
  rename(sdir: number, sname: string, ddir: number, dname: string, replacedStillOpen = false): void {
    const src = this.lookup(sdir, sname);
    const dst = this.dir(ddir).get(dname);
    if (dst !== undefined) {
      const d = decodeDirent(dst);
      if (d.obj === src.obj) return;
      const dstIsDir = fileTypeOfMode(d.dtype << 12) === 'dir';
      if (src.type === 'dir' && !dstIsDir) throw new KernelError(Errno.ENOTDIR, dname);
      if (src.type !== 'dir' && dstIsDir) throw new KernelError(Errno.EISDIR, dname);
      if (dstIsDir) this.rmdir(ddir, dname);
      else this.unlink(ddir, dname, replacedStillOpen);
    } else this.checkName(ddir, dname);
    if (src.type === 'dir') {
      for (let p = ddir; ; p = this.stat(p).parent) {
        if (p === src.obj) throw new KernelError(Errno.EINVAL, 'rename of a directory into itself');
        if (p === this.rootObj) break;
      }
    }
    const value = this.dir(sdir).get(sname)!;
    this.dir(sdir).delete(sname);
    this.changed.add(sdir);
    this.changed.add(ddir);
    const isDir = src.type === 'dir';
    this.touchDir(sdir, -1, isDir && sdir !== ddir ? -1 : 0);
    this.dir(ddir).set(dname, value);
    this.touchDir(ddir, 1, isDir && sdir !== ddir ? 1 : 0);
    const t = this.now();
    this.update(src.obj, () => (isDir ? { parent: ddir, ctime: t } : { ctime: t }));
  }

  /** zfs_write's block-size rule: a one-block file grows its block up to the recordsize. */
  private growBlock(obj: number, end: number): void {
    const info = this.os.info(obj);
    if (info.maxblkid === 0 && info.blockSize < ZPL_RECORDSIZE && end > info.blockSize) {
      this.os.setBlockSize(obj, Math.min(Math.ceil(end / 512) * 512, ZPL_RECORDSIZE));
    }
  }

  write(obj: number, offset: number, data: Uint8Array): number {
    const z = this.stat(obj);
    if (z.type !== 'file') throw new KernelError(z.type === 'dir' ? Errno.EISDIR : Errno.EINVAL, `object ${obj}`);
    if (data.length === 0) return 0;
    this.o.reserve?.(data.length);
    const end = offset + data.length;
    this.growBlock(obj, end);
    this.os.write(obj, offset, data);
    const t = this.now();
    this.update(obj, (x) => ({ size: Math.max(x.size, end), mtime: t, ctime: t }));
    return data.length;
  }

  truncate(obj: number, size: number): void {
    const z = this.stat(obj);
    if (z.type !== 'file') throw new KernelError(z.type === 'dir' ? Errno.EISDIR : Errno.EINVAL, `object ${obj}`);
    if (size < z.size) this.os.truncate(obj, size);
    else this.growBlock(obj, size);
    const t = this.now();
    this.update(obj, () => ({ size, mtime: t, ctime: t }));
  }

  setattr(obj: number, a: SetAttrs): void {
    const t = this.now();
    this.update(obj, (z) => ({
      ...(a.mode !== undefined ? { mode: (z.mode & S_IFMT) | (a.mode & 0o7777) } : {}),
      ...(a.uid !== undefined ? { uid: a.uid } : {}),
      ...(a.gid !== undefined ? { gid: a.gid } : {}),
      ...(a.atime !== undefined ? { atime: a.atime } : {}),
      ...(a.mtime !== undefined ? { mtime: a.mtime } : {}),
      ctime: t,
    }));
  }

  /** Writes the changed directories into their ZAP objects (called just before a sync). */
  flush(): void {
    for (const obj of this.changed) {
      const entries = this.dirs.get(obj);
      if (!entries || !this.os.exists(obj)) continue;
      const old = this.os.hold(obj).base ? ZapReader.open(this.os.committed, obj) : null;
      const z = buildZap(
        [...entries].map(([name, value]) => ({ name, value })),
        old?.salt ?? this.randomSalt(),
        old?.shape,
      );
      this.os.replace(obj, z.data, z.blockSize);
    }
    this.dirs.clear();
    this.changed.clear();
  }

  private randomSalt(): bigint {
    const b = new Uint8Array(8);
    this.o.entropy.fill(b);
    return viewOf(b).getBigUint64(0, true) | 1n;
  }
}
