// The interface between the VFS and a file system (OSv's `struct vfsops` + `struct vnops`).
// The VFS does all path walking, permission-free policy checks (EISDIR, ENOTEMPTY, EXDEV, ...)
// and locking; a file system implements the primitive operations on its own objects. Every
// operation is synchronous and may block through the VFS's Blocker (a disk read).
// Errors are thrown as KernelError.
import type { WaitQueue } from '@osv-ts/core-sched';
import type { Blocker } from './blocker.js';
import type { Mount } from './mount.js';
import type { StatFs } from './stat.js';
import type { Vnode } from './vnode.js';
import type { VType } from './vtype.js';

/** One directory entry as a file system's readdir returns it. */
export interface DirEntry {
  readonly name: string;
  readonly ino: number;
  readonly type: VType;
  /**
   * The cookie that continues the listing after this entry. Cookies are stable: an entry's
   * cookie never changes while the entry exists, and removing other entries never makes a
   * listing skip or repeat a surviving entry (WASI fd_readdir relies on this).
   */
  readonly next: number;
}

/** Per-call I/O context: whether the open file is non-blocking, and how to wait. */
export interface IoContext {
  readonly nonBlocking: boolean;
  readonly blocker: Blocker;
}

/** Attribute changes for setattr; absent fields stay as they are. */
export interface SetAttr {
  perm?: number;
  uid?: number;
  gid?: number;
  atimeNs?: bigint;
  mtimeNs?: bigint;
}

/**
 * Primitive vnode operations. Directory operations receive the locked parent directory and a
 * validated single component name (never "", ".", ".." or containing "/"). Optional operations
 * that are absent mean "not supported" (the VFS answers EPERM/EINVAL/EROFS as POSIX says).
 */
export interface VnodeOps {
  /** The child called `name` of directory `dir`, or undefined when there is none. */
  lookup(dir: Vnode, name: string): Vnode | undefined;
  /** The parent of directory `dir` within this file system (the root returns itself). */
  parent(dir: Vnode): Vnode;
  /** Entry at or after `cookie` (cookies 0 and 1 are the VFS's "." and ".."; fs cookies start at 2), or null at the end. */
  readdir(dir: Vnode, cookie: number): DirEntry | null;
  /** True when the directory has no entries besides "." and "..". */
  isEmpty(dir: Vnode): boolean;

  create?(dir: Vnode, name: string, perm: number): Vnode;
  mkdir?(dir: Vnode, name: string, perm: number): Vnode;
  symlink?(dir: Vnode, name: string, target: string): Vnode;
  link?(dir: Vnode, name: string, target: Vnode): void;
  /** Removes the non-directory entry `name` (which is `vnode`). */
  remove?(dir: Vnode, name: string, vnode: Vnode): void;
  /** Removes the empty directory entry `name` (which is `vnode`). */
  rmdir?(dir: Vnode, name: string, vnode: Vnode): void;
  /**
   * Moves `srcName` (= `vnode`) of `srcDir` to `dstName` of `dstDir`, replacing `replaced`
   * when given (the VFS has checked the POSIX rules: types agree, a replaced directory is empty).
   */
  rename?(
    srcDir: Vnode,
    srcName: string,
    vnode: Vnode,
    dstDir: Vnode,
    dstName: string,
    replaced: Vnode | undefined,
  ): void;

  readlink?(vnode: Vnode): string;
  /** Reads at `offsetBytes` into `into`; returns bytes read (0 at end of file). */
  read?(vnode: Vnode, offsetBytes: number, into: Uint8Array, io: IoContext): number;
  /** Writes `data` at `offsetBytes`; returns bytes written. */
  write?(vnode: Vnode, offsetBytes: number, data: Uint8Array, io: IoContext): number;
  truncate?(vnode: Vnode, sizeBytes: number): void;
  setattr?(vnode: Vnode, attr: SetAttr): void;
  fsync?(vnode: Vnode): void;
  /**
   * The whole content as one array, without a copy, where the file system holds it so (ramfs: a
   * file kept where the bootfs archive put it and not changed since); undefined otherwise. The
   * caller reads it and must not write to it.
   */
  contentView?(vnode: Vnode): Uint8Array | undefined;
  /** Refreshes the vnode's attribute fields before stat (generated files, devices). */
  getattr?(vnode: Vnode): void;
  /** Bytes of storage the file occupies (st_blocks * 512); defaults to its size. */
  allocatedBytes?(vnode: Vnode): number;
  /** Called on each open of the vnode with the open flags (devices, pipes). */
  open?(vnode: Vnode, flags: number): void;
  /** Called when an open file of the vnode is closed (last reference). */
  close?(vnode: Vnode, flags: number): void;
  /** Called when the vnode leaves the cache (no references; for an unlinked file: free its data). */
  inactive?(vnode: Vnode): void;
  /** poll(2) readiness: the subset of `events` (POLLIN/POLLOUT) that holds, plus POLLHUP/POLLERR. */
  poll?(vnode: Vnode, events: number): number;
  /** A queue woken whenever the poll() answer may have changed (pipes); absent = always ready or polled. */
  readiness?(vnode: Vnode): WaitQueue | undefined;
  /** False for streams where lseek fails with ESPIPE (pipes, terminals). Default true. */
  seekable?(vnode: Vnode): boolean;
  /** True for terminals (isatty). Default false. */
  isTerminal?(vnode: Vnode): boolean;
}

/** A mounted file-system instance (OSv's `struct vfsops` plus its private mount data). */
export interface FileSystem {
  /** File-system type name as /proc/mounts shows it: `ramfs`, `rofs`, `devfs`, `proc`. */
  readonly type: string;
  /** A read-only file system: the VFS refuses every modification with EROFS. */
  readonly readOnly: boolean;
  /** Preferred I/O size (st_blksize); 4096 when absent. */
  readonly blockSizeBytes?: number;
  /** Called once by Vfs.mount; returns the root directory vnode (from `mount.vnodes`). */
  mount(mount: Mount): Vnode;
  /** Called by Vfs.unmount after the VFS checked nothing is busy. */
  unmount?(mount: Mount): void;
  /** Writes back everything (sync(2)). */
  sync?(): void;
  statfs?(): StatFs;
}
