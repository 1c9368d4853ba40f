// A ZPL dataset as an @osv-ts/vfs file system (OSv's zfs_vfsops + zfs_vnops). Vnode inode
// numbers are ZFS object numbers, as zfs-fuse reports them. Over a ZplFilesystem it is
// read-only (the VFS answers every modification with EROFS); over a WritablePool's ZplWriter
// the vnode operations map onto ZPL writes, and sync(2), fsync(2) and unmount commit a txg.
// A file unlinked while open stays on the delete queue until the VFS releases its vnode.
//
// Readdir cookies: each directory vnode numbers its entries on first listing (sorted by name,
// from 2) and gives names added later the next numbers, so a cookie never changes while its
// entry exists and removals never make a listing skip or repeat a survivor.
import { Errno, KernelError } from '@osv-ts/kernel-api';
import {
  Vnode,
  VType,
  type DirEntry,
  type FileSystem,
  type IoContext,
  type Mount,
  type SetAttr,
  type StatFs,
  type VnodeOps,
} from '@osv-ts/vfs';
import type { Pool } from '../pool/pool.js';
import type { WritablePool } from '../spa/writable-pool.js';
import type { FileType, Znode, DirEntry as ZplDirEntry } from '../zpl/zpl.js';
import { ZplWriter } from '../zpl/zpl-writer.js';

const NS = 1_000_000_000n;
/** Bytes written after which an operation commits the txg (zfs_dirty_data_max: 10% of RAM, ≤ 4 GiB; guests are small). */
export const DIRTY_DATA_MAX_BYTES = 64 * 1024 * 1024;

function vtypeOf(t: FileType): VType {
  switch (t) {
    case 'file':
      return VType.VREG;
    case 'dir':
      return VType.VDIR;
    case 'symlink':
      return VType.VLNK;
    case 'fifo':
      return VType.VFIFO;
    case 'chr':
      return VType.VCHR;
    case 'blk':
      return VType.VBLK;
    case 'sock':
      return VType.VSOCK;
    default:
      return VType.VNON;
  }
}

/** What the VFS needs to read a ZPL dataset (ZplFilesystem and ZplWriter both provide it). */
export interface ZplReader {
  readonly rootObj: number;
  stat(obj: number): Znode;
  lookup(dir: number, name: string): ZplDirEntry;
  readdir(dir: number): ZplDirEntry[];
  read(obj: number, offset: number, length: number): Uint8Array;
  readlink(obj: number): string;
}

interface ZfsVnodeData {
  obj: number;
  /** Directory listing state: cookie order and name → cookie. */
  listing?: { names: (string | null)[]; cookie: Map<string, number> };
}

function toNs(t: { sec: number; nsec: number }): bigint {
  return BigInt(t.sec) * NS + BigInt(t.nsec);
}

function fromNs(ns: bigint): { sec: number; nsec: number } {
  return { sec: Number(ns / NS), nsec: Number(ns % NS) };
}

export class ZfsVfs implements FileSystem, VnodeOps {
  readonly type = 'zfs';
  readonly readOnly: boolean;
  readonly blockSizeBytes = 131072;
  private mountRef!: Mount;
  private readonly writer: ZplWriter | null;

  constructor(
    readonly zpl: ZplReader,
    readonly pool?: Pool | WritablePool,
  ) {
    this.writer = zpl instanceof ZplWriter ? zpl : null;
    this.readOnly = this.writer === null;
  }

  /** A read-write mount of file system `dataset` (default: the pool's root file system). */
  static writable(pool: WritablePool, dataset = pool.name): ZfsVfs {
    return new ZfsVfs(pool.filesystem(dataset), pool);
  }

  private get w(): ZplWriter {
    if (!this.writer) throw new KernelError(Errno.EROFS, 'read-only ZFS mount');
    return this.writer;
  }

  private get writablePool(): WritablePool | null {
    return this.writer && this.pool && 'sync' in this.pool ? this.pool : null;
  }

  mount(mount: Mount): Vnode {
    this.mountRef = mount;
    return this.vget(this.zpl.rootObj);
  }

  unmount(): void {
    this.sync();
  }

  /** sync(2): commit every change as a txg. */
  sync(): void {
    this.writablePool?.sync();
  }

  statfs(): StatFs {
    const a = this.writablePool?.allocator;
    if (!a)
      return {
        type: this.type,
        blockSize: 512,
        blocks: 0,
        blocksFree: 0,
        blocksAvailable: 0,
        files: 0,
        filesFree: 0,
        nameMax: 255,
      };
    const free = Math.floor(a.freeBytes / 512);
    return {
      type: this.type,
      blockSize: 512,
      blocks: Math.floor(a.capacityBytes / 512),
      blocksFree: free,
      blocksAvailable: free,
      files: 0,
      filesFree: 0,
      nameMax: 255,
    };
  }

  private refresh(v: Vnode, z: Znode = this.zpl.stat((v.data as ZfsVnodeData).obj)): Vnode {
    v.perm = z.mode & 0o7777;
    v.size = z.size;
    v.nlink = z.links;
    v.uid = z.uid;
    v.gid = z.gid;
    v.rdev = z.rdev;
    v.atimeNs = toNs(z.atime);
    v.mtimeNs = toNs(z.mtime);
    v.ctimeNs = toNs(z.ctime);
    return v;
  }

  private vget(obj: number): Vnode {
    const m = this.mountRef;
    return m.vnodes.get(obj, () => {
      const z = this.zpl.stat(obj);
      return this.refresh(new Vnode(m, obj, vtypeOf(z.type), this, { obj } satisfies ZfsVnodeData, z.mode & 0o7777), z);
    });
  }

  private obj(v: Vnode): number {
    return (v.data as ZfsVnodeData).obj;
  }

  private listing(dir: Vnode): NonNullable<ZfsVnodeData['listing']> {
    const d = dir.data as ZfsVnodeData;
    if (!d.listing) {
      const names: (string | null)[] = this.zpl
        .readdir(d.obj)
        .map((e) => e.name)
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      d.listing = { names, cookie: new Map(names.map((n, i) => [n!, i + 2])) };
    }
    return d.listing;
  }

  private added(dir: Vnode, name: string): void {
    const l = (dir.data as ZfsVnodeData).listing;
    if (!l || l.cookie.has(name)) return;
    l.cookie.set(name, l.names.length + 2);
    l.names.push(name);
  }

  private removed(dir: Vnode, name: string): void {
    const l = (dir.data as ZfsVnodeData).listing;
    const c = l?.cookie.get(name);
    if (!l || c === undefined) return;
    l.names[c - 2] = null;
    l.cookie.delete(name);
  }

  lookup(dir: Vnode, name: string): Vnode | undefined {
    try {
      return this.vget(this.zpl.lookup(this.obj(dir), name).obj);
    } catch (e) {
      if (e instanceof KernelError && e.errno === Errno.ENOENT) return undefined;
      throw e;
    }
  }

  parent(dir: Vnode): Vnode {
    const obj = this.obj(dir);
    return obj === this.zpl.rootObj ? dir : this.vget(this.zpl.stat(obj).parent);
  }

  readdir(dir: Vnode, cookie: number): DirEntry | null {
    const l = this.listing(dir);
    for (let k = Math.max(0, cookie - 2); k < l.names.length; k++) {
      const name = l.names[k];
      if (name === null || name === undefined) continue;
      const e = this.zpl.lookup(this.obj(dir), name);
      return { name, ino: e.obj, type: vtypeOf(e.type), next: k + 3 };
    }
    return null;
  }

  isEmpty(dir: Vnode): boolean {
    return this.zpl.readdir(this.obj(dir)).length === 0;
  }

  readlink(vnode: Vnode): string {
    return this.zpl.readlink(this.obj(vnode));
  }

  read(vnode: Vnode, offsetBytes: number, into: Uint8Array, _io: IoContext): number {
    if (vnode.type === VType.VDIR) throw new KernelError(Errno.EISDIR);
    const data = this.zpl.read(this.obj(vnode), offsetBytes, into.length);
    into.set(data);
    return data.length;
  }

  // ---- modifications (writable mounts) -----------------------------------------------------

  create(dir: Vnode, name: string, perm: number): Vnode {
    const obj = this.w.create(this.obj(dir), name, perm);
    this.refresh(dir);
    this.added(dir, name);
    this.boundary();
    return this.vget(obj);
  }

  mkdir(dir: Vnode, name: string, perm: number): Vnode {
    const obj = this.w.mkdir(this.obj(dir), name, perm);
    this.refresh(dir);
    this.added(dir, name);
    this.boundary();
    return this.vget(obj);
  }

  symlink(dir: Vnode, name: string, target: string): Vnode {
    const obj = this.w.symlink(this.obj(dir), name, target);
    this.refresh(dir);
    this.added(dir, name);
    this.boundary();
    return this.vget(obj);
  }

  link(dir: Vnode, name: string, target: Vnode): void {
    this.w.link(this.obj(dir), name, this.obj(target));
    this.refresh(dir);
    this.refresh(target);
    this.added(dir, name);
    this.boundary();
  }

  remove(dir: Vnode, name: string, vnode: Vnode): void {
    const links = vnode.nlink;
    this.w.unlink(this.obj(dir), name, vnode.refcount > 0);
    this.refresh(dir);
    this.removed(dir, name);
    if (links > 1) this.refresh(vnode);
    else vnode.nlink = 0;
    this.boundary();
  }

  rmdir(dir: Vnode, name: string, vnode: Vnode): void {
    this.w.rmdir(this.obj(dir), name);
    this.refresh(dir);
    this.removed(dir, name);
    vnode.nlink = 0;
    this.boundary();
  }

  rename(
    srcDir: Vnode,
    srcName: string,
    vnode: Vnode,
    dstDir: Vnode,
    dstName: string,
    replaced: Vnode | undefined,
  ): void {
    const replacedLinks = replaced?.nlink ?? 0;
    this.w.rename(this.obj(srcDir), srcName, this.obj(dstDir), dstName, (replaced?.refcount ?? 0) > 0);
    this.removed(srcDir, srcName);
    if (replaced) {
      this.removed(dstDir, dstName);
      if (replaced.type === VType.VDIR || replacedLinks <= 1) replaced.nlink = 0;
      else this.refresh(replaced);
    }
    this.added(dstDir, dstName);
    this.refresh(srcDir);
    this.refresh(dstDir);
    this.refresh(vnode);
    this.boundary();
  }

  write(vnode: Vnode, offsetBytes: number, data: Uint8Array, _io: IoContext): number {
    const n = this.w.write(this.obj(vnode), offsetBytes, data);
    this.refresh(vnode);
    this.boundary(n);
    return n;
  }

  /**
   * The end of a modifying operation: the pool is consistent here, so this is where a commit
   * runs when one is due — the txg timeout passed (a busy app gives the kernel's txg_sync
   * thread no chance to run: threads are cooperative), the thread found an operation half done
   * (`syncDue`), or DIRTY_DATA_MAX_BYTES were written since the last commit (the write
   * throttle, zfs_dirty_data_max), so memory stays bounded.
   */
  private boundary(bytes = 512): void {
    const pool = this.writablePool;
    if (!pool) return;
    pool.writtenSinceSync += bytes;
    if (pool.syncDue || pool.writtenSinceSync > DIRTY_DATA_MAX_BYTES || pool.txgTimedOut) pool.sync();
  }

  truncate(vnode: Vnode, sizeBytes: number): void {
    this.w.truncate(this.obj(vnode), sizeBytes);
    this.refresh(vnode);
    this.boundary();
  }

  setattr(vnode: Vnode, attr: SetAttr): void {
    this.w.setattr(this.obj(vnode), {
      ...(attr.perm !== undefined ? { mode: attr.perm } : {}),
      ...(attr.uid !== undefined ? { uid: attr.uid } : {}),
      ...(attr.gid !== undefined ? { gid: attr.gid } : {}),
      ...(attr.atimeNs !== undefined ? { atime: fromNs(attr.atimeNs) } : {}),
      ...(attr.mtimeNs !== undefined ? { mtime: fromNs(attr.mtimeNs) } : {}),
    });
    this.refresh(vnode);
    this.boundary();
  }

  /** fsync(2): zfs-fuse 0.7 also answers fsync by syncing the txg (no ZIL records). */
  fsync(_vnode: Vnode): void {
    this.sync();
  }

  inactive(vnode: Vnode): void {
    this.writer?.release(this.obj(vnode));
  }
}
