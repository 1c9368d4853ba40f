// The vnode: the in-memory handle of one file-system object (BSD/OSv `struct vnode`). The VFS
// keeps at most one Vnode per (mount, inode number) alive through the mount's VnodeCache, so
// identity comparison (`a === b`) means "same file". Attributes live on the vnode itself and
// the owning file system keeps them current; `data` is the file system's private state
// (OSv's v_data).
import type { Mount } from './mount.js';
import type { Stat } from './stat.js';
import type { VnodeOps } from './file-system.js';
import { VnodeLock } from './vnode-lock.js';
import { VType, vtypeToModeBits } from './vtype.js';

export class Vnode {
  readonly lock = new VnodeLock();
  /** Open files and other long-lived holders (cwd, mounts); a vnode in use is never evicted. */
  refcount = 0;
  /** Permission bits (07777); the type bits come from `type`. */
  perm: number;
  nlink = 1;
  size = 0;
  uid = 0;
  gid = 0;
  rdev = 0;
  atimeNs = 0n;
  mtimeNs = 0n;
  ctimeNs = 0n;
  /** The mount whose root covers this directory when it is a mount point (OSv v_mount's coveredvp link). */
  mountedHere: Mount | undefined = undefined;

  constructor(
    readonly mount: Mount,
    readonly ino: number,
    readonly type: VType,
    readonly ops: VnodeOps,
    /** File-system private state. */
    public data: unknown,
    perm = 0o644,
  ) {
    this.perm = perm;
  }

  /** st_mode: type bits | permission bits. */
  get mode(): number {
    return vtypeToModeBits(this.type) | (this.perm & 0o7777);
  }

  get isDirectory(): boolean {
    return this.type === VType.VDIR;
  }

  /** Sets atime, mtime and ctime to `nowNs` (a freshly created object). */
  stampAll(nowNs: bigint): void {
    this.atimeNs = nowNs;
    this.mtimeNs = nowNs;
    this.ctimeNs = nowNs;
  }

  /** The stat(2) view of the vnode. */
  stat(): Stat {
    this.ops.getattr?.(this);
    return {
      dev: this.mount.id,
      ino: this.ino,
      type: this.type,
      mode: this.mode,
      nlink: this.nlink,
      uid: this.uid,
      gid: this.gid,
      rdev: this.rdev,
      size: this.size,
      blksize: this.mount.fs.blockSizeBytes ?? 4096,
      blocks: this.ops.allocatedBytes ? Math.ceil(this.ops.allocatedBytes(this) / 512) : Math.ceil(this.size / 512),
      atimeNs: this.atimeNs,
      mtimeNs: this.mtimeNs,
      ctimeNs: this.ctimeNs,
    };
  }
}
