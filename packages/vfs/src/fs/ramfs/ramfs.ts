// ramfs: the read-write in-memory file system (OSv fs/ramfs). Directories keep stable readdir
// cookies (RamDirectory), files are sparse (RamFileData), hard links and symlinks are real,
// and timestamps follow POSIX (creation stamps all three; data writes stamp mtime+ctime;
// name changes stamp the directory's mtime+ctime and the object's ctime). atime is not
// updated on read (as with Linux's noatime), so reading never modifies the tree.
import { Errno, KernelError } from '@osv-ts/kernel-api';
import type { DirEntry, FileSystem, IoContext, SetAttr, VnodeOps } from '../../file-system.js';
import type { Mount } from '../../mount.js';
import type { StatFs } from '../../stat.js';
import { Vnode } from '../../vnode.js';
import { VType } from '../../vtype.js';
import { RamDirectory } from './ram-directory.js';
import { RamFileData } from './ram-file-data.js';

export interface RamFsOptions {
  /** Refuse writes beyond this many bytes of file data (ENOSPC). Default: unlimited. */
  maxBytes?: number;
}

/** st_size of a directory: ext4's 4096, so listings compare equal with a host file system. */
const DIR_SIZE = 4096;

function dirOf(v: Vnode): RamDirectory {
  return v.data as RamDirectory;
}

export class RamFs implements FileSystem, VnodeOps {
  readonly type = 'ramfs';
  readonly readOnly = false;
  private nextIno = 1;
  private mountRef: Mount | undefined;
  private usedBytes = 0;

  constructor(private readonly options: RamFsOptions = {}) {}

  mount(mount: Mount): Vnode {
    if (this.mountRef) throw new KernelError(Errno.EBUSY, 'a ramfs instance can be mounted once');
    this.mountRef = mount;
    const root = this.newVnode(VType.VDIR, 0o755, new RamDirectory(undefined));
    root.nlink = 2;
    return root;
  }

  statfs(): StatFs {
    const total = this.options.maxBytes ?? 0;
    return {
      type: this.type,
      blockSize: 4096,
      blocks: Math.ceil(total / 4096),
      blocksFree: Math.max(0, Math.ceil((total - this.usedBytes) / 4096)),
      blocksAvailable: Math.max(0, Math.ceil((total - this.usedBytes) / 4096)),
      files: this.nextIno - 1,
      filesFree: 0,
      nameMax: 255,
    };
  }

  private newVnode(type: VType, perm: number, data: unknown): Vnode {
    const m = this.mountRef!;
    const ino = this.nextIno++;
    const v = m.vnodes.get(ino, () => new Vnode(m, ino, type, this, data, perm));
    v.stampAll(m.nowNs());
    if (type === VType.VDIR) v.size = DIR_SIZE;
    return v;
  }

  private touchDir(dir: Vnode): void {
    const now = dir.mount.nowNs();
    dir.mtimeNs = now;
    dir.ctimeNs = now;
  }

  // ---- VnodeOps ----------------------------------------------------------------------------

  lookup(dir: Vnode, name: string): Vnode | undefined {
    return dirOf(dir).get(name);
  }

  parent(dir: Vnode): Vnode {
    return dirOf(dir).parent ?? dir;
  }

  readdir(dir: Vnode, cookie: number): DirEntry | null {
    return dirOf(dir).readdir(cookie);
  }

  isEmpty(dir: Vnode): boolean {
    return dirOf(dir).count === 0;
  }

  create(dir: Vnode, name: string, perm: number): Vnode {
    const v = this.newVnode(VType.VREG, perm, new RamFileData());
    dirOf(dir).add(name, v);
    this.touchDir(dir);
    return v;
  }

  mkdir(dir: Vnode, name: string, perm: number): Vnode {
    const v = this.newVnode(VType.VDIR, perm, new RamDirectory(dir));
    v.nlink = 2;
    dirOf(dir).add(name, v);
    dir.nlink++;
    this.touchDir(dir);
    return v;
  }

  symlink(dir: Vnode, name: string, target: string): Vnode {
    const v = this.newVnode(VType.VLNK, 0o777, target);
    v.size = new TextEncoder().encode(target).length;
    dirOf(dir).add(name, v);
    this.touchDir(dir);
    return v;
  }

  link(dir: Vnode, name: string, target: Vnode): void {
    dirOf(dir).add(name, target);
    target.nlink++;
    target.ctimeNs = dir.mount.nowNs();
    this.touchDir(dir);
  }

  remove(dir: Vnode, name: string, vnode: Vnode): void {
    dirOf(dir).remove(name);
    vnode.nlink--;
    vnode.ctimeNs = dir.mount.nowNs();
    this.touchDir(dir);
  }

  rmdir(dir: Vnode, name: string, vnode: Vnode): void {
    dirOf(dir).remove(name);
    vnode.nlink = 0;
    dir.nlink--;
    this.touchDir(dir);
  }

  rename(
    srcDir: Vnode,
    srcName: string,
    vnode: Vnode,
    dstDir: Vnode,
    dstName: string,
    replaced: Vnode | undefined,
  ): void {
    if (replaced !== undefined) {
      if (replaced.type === VType.VDIR) this.rmdir(dstDir, dstName, replaced);
      else this.remove(dstDir, dstName, replaced);
    }
    dirOf(srcDir).remove(srcName);
    dirOf(dstDir).add(dstName, vnode);
    if (vnode.type === VType.VDIR && srcDir !== dstDir) {
      dirOf(vnode).parent = dstDir;
      srcDir.nlink--;
      dstDir.nlink++;
    }
    vnode.ctimeNs = srcDir.mount.nowNs();
    this.touchDir(srcDir);
    if (dstDir !== srcDir) this.touchDir(dstDir);
  }

  readlink(vnode: Vnode): string {
    return vnode.data as string;
  }

  read(vnode: Vnode, offset: number, into: Uint8Array, _io: IoContext): number {
    if (vnode.type !== VType.VREG) throw new KernelError(Errno.EINVAL);
    if (offset >= vnode.size) return 0;
    const n = Math.min(into.length, vnode.size - offset);
    (vnode.data as RamFileData).read(offset, n === into.length ? into : into.subarray(0, n));
    return n;
  }

  write(vnode: Vnode, offset: number, data: Uint8Array, _io: IoContext): number {
    if (vnode.type !== VType.VREG) throw new KernelError(Errno.EINVAL);
    const end = offset + data.length;
    const fileData = vnode.data as RamFileData;
    const grown = fileData.growthBytes(offset, data.length);
    // Refuse before touching anything, so a failed write changes nothing.
    if (this.options.maxBytes !== undefined && this.usedBytes + grown > this.options.maxBytes)
      throw new KernelError(Errno.ENOSPC);
    fileData.write(offset, data);
    this.usedBytes += grown;
    if (end > vnode.size) vnode.size = end;
    const now = vnode.mount.nowNs();
    vnode.mtimeNs = now;
    vnode.ctimeNs = now;
    return data.length;
  }

  /**
   * Makes `bytes` the content of the empty regular file `vnode` without copying them (see
   * RamFileData.adopt): counted against maxBytes as a write of them would be.
   */
  adopt(vnode: Vnode, bytes: Uint8Array): void {
    if (vnode.type !== VType.VREG) throw new KernelError(Errno.EINVAL);
    if (vnode.size !== 0) throw new KernelError(Errno.EINVAL, 'ramfs adopt: the file is not empty');
    const fileData = vnode.data as RamFileData;
    const grown = fileData.growthBytes(0, bytes.length);
    if (this.options.maxBytes !== undefined && this.usedBytes + grown > this.options.maxBytes)
      throw new KernelError(Errno.ENOSPC);
    fileData.adopt(bytes);
    this.usedBytes += grown;
    vnode.size = bytes.length;
    const now = vnode.mount.nowNs();
    vnode.mtimeNs = now;
    vnode.ctimeNs = now;
  }

  contentView(vnode: Vnode): Uint8Array | undefined {
    if (vnode.type !== VType.VREG) return undefined;
    const content = (vnode.data as RamFileData).adoptedContent;
    return content !== undefined && content.length === vnode.size ? content : undefined;
  }

  truncate(vnode: Vnode, size: number): void {
    const fileData = vnode.data as RamFileData;
    const before = fileData.allocatedBytes;
    if (size < vnode.size) fileData.truncate(size);
    this.usedBytes += fileData.allocatedBytes - before;
    vnode.size = size;
    const now = vnode.mount.nowNs();
    vnode.mtimeNs = now;
    vnode.ctimeNs = now;
  }

  setattr(vnode: Vnode, attr: SetAttr): void {
    if (attr.perm !== undefined) vnode.perm = attr.perm;
    if (attr.uid !== undefined) vnode.uid = attr.uid;
    if (attr.gid !== undefined) vnode.gid = attr.gid;
    if (attr.atimeNs !== undefined) vnode.atimeNs = attr.atimeNs;
    if (attr.mtimeNs !== undefined) vnode.mtimeNs = attr.mtimeNs;
    vnode.ctimeNs = vnode.mount.nowNs();
  }

  allocatedBytes(vnode: Vnode): number {
    return vnode.type === VType.VREG
      ? (vnode.data as RamFileData).allocatedBytes
      : vnode.type === VType.VDIR
        ? DIR_SIZE
        : 0;
  }

  inactive(vnode: Vnode): void {
    if (vnode.type === VType.VREG) {
      const fileData = vnode.data as RamFileData;
      this.usedBytes -= fileData.allocatedBytes;
      fileData.clear();
    }
  }
}
