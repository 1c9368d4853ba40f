// The VFS: the mount table, path-based operations and the POSIX rules that are the same for
// every file system (OSv fs/vfs/vfs_syscalls.cc + vfs_mount.cc). File systems only implement
// primitives (VnodeOps); everything a POSIX program can observe about errors and ordering of
// checks is decided here, once.
import type { Clock } from '@osv-ts/kernel-api';
import { Errno, KernelError } from '@osv-ts/kernel-api';
import { type Blocker, noBlocker } from './blocker.js';
import { File } from './file.js';
import type { DirEntry, FileSystem } from './file-system.js';
import { type LookupOptions, type Resolved, crossMountsDown, resolvePath } from './lookup.js';
import { Mount, type MountOptions } from './mount.js';
import {
  O_ACCMODE,
  O_CREAT,
  O_DIRECTORY,
  O_EXCL,
  O_NOFOLLOW,
  O_PATH,
  O_RDONLY,
  O_TRUNC,
  O_WRONLY,
  UTIME_NOW,
  UTIME_OMIT,
} from './open-flags.js';
import { PipeFs } from './fs/pipefs/pipefs.js';
import type { Stat, StatFs } from './stat.js';
import type { Vnode } from './vnode.js';
import { VType } from './vtype.js';

export interface VfsOptions {
  /** CLOCK_REALTIME source for timestamps. */
  clock: Clock;
  /** How to wait (core-sched's Scheduler fits). Default: waiting is EDEADLK. */
  blocker?: Blocker;
  /** Names the running thread, for vnode lock ownership (core-sched: () => scheduler.currentThread). */
  currentThread?: () => unknown;
  /** Pipe buffer capacity in bytes (Linux default 65536). */
  pipeCapacityBytes?: number;
}

export class Vfs {
  readonly blocker: Blocker;
  private readonly clock: Clock;
  private readonly currentThread: () => unknown;
  private readonly mountList: Mount[] = [];
  private rootMount: Mount | undefined;
  private nextMountId = 1;
  private readonly pipes: PipeFs;
  private readonly pipeMount: Mount;

  constructor(options: VfsOptions) {
    this.clock = options.clock;
    this.blocker = options.blocker ?? noBlocker;
    this.currentThread = options.currentThread ?? (() => undefined);
    this.pipes = new PipeFs(options.pipeCapacityBytes ?? 65536);
    // Pipes live on an internal mount that is not attached anywhere (Linux's pipefs).
    this.pipeMount = new Mount(this, this.nextMountId++, this.pipes, 'pipe:', undefined, false, 'pipe', 'rw');
    this.pipeMount.root = this.pipes.mount(this.pipeMount);
  }

  nowNs(): bigint {
    return this.clock.realtimeNs();
  }

  /** Lock-owner token of the running thread. */
  owner(): unknown {
    return this.currentThread();
  }

  /** The root directory of the namespace. */
  get root(): Vnode {
    if (!this.rootMount) throw new KernelError(Errno.ENOENT, 'no root file system mounted');
    return crossMountsDown(this.rootMount.root);
  }

  /** Mounted file systems in mount order (the root first). */
  get mounts(): readonly Mount[] {
    return this.mountList;
  }

  // ---- mount table -------------------------------------------------------------------------

  /** Mounts the root file system (once). */
  mountRoot(fs: FileSystem, options: MountOptions = {}): Mount {
    if (this.rootMount) throw new KernelError(Errno.EBUSY, 'root already mounted');
    const m = this.newMount(fs, '/', undefined, options);
    this.rootMount = m;
    return m;
  }

  /** Mounts `fs` on the existing directory `path`. */
  mount(path: string, fs: FileSystem, options: MountOptions = {}): Mount {
    const covered = this.lookup(path);
    if (covered.type !== VType.VDIR) throw new KernelError(Errno.ENOTDIR, path);
    if (covered.mountedHere !== undefined) throw new KernelError(Errno.EBUSY, `${path} is already a mount point`);
    const m = this.newMount(fs, normalizeMountPath(path), covered, options);
    covered.mountedHere = m;
    this.vref(covered);
    return m;
  }

  /** Unmounts the file system whose root `path` names. EBUSY while files or mounts under it are in use. */
  unmount(path: string, options: { force?: boolean } = {}): void {
    const v = this.lookup(path);
    const m = v.mount;
    if (v !== m.root) throw new KernelError(Errno.EINVAL, `${path} is not a mount point`);
    if (m === this.rootMount) throw new KernelError(Errno.EBUSY, 'cannot unmount the root');
    if (!options.force) {
      if (this.mountList.some((o) => o.covered?.mount === m))
        throw new KernelError(Errno.EBUSY, `${path} has mounts below it`);
      for (const vn of m.vnodes.values()) {
        // The mount itself holds one reference on its root.
        if (vn.refcount > (vn === m.root ? 1 : 0)) throw new KernelError(Errno.EBUSY, `${path} has open files`);
      }
    }
    m.fs.unmount?.(m);
    m.root.refcount--;
    const covered = m.covered!;
    covered.mountedHere = undefined;
    this.vrele(covered);
    this.mountList.splice(this.mountList.indexOf(m), 1);
  }

  private newMount(fs: FileSystem, path: string, covered: Vnode | undefined, options: MountOptions): Mount {
    const readOnly = fs.readOnly || options.readOnly === true;
    const m = new Mount(
      this,
      this.nextMountId++,
      fs,
      path,
      covered,
      readOnly,
      options.source ?? 'none',
      options.options ?? (readOnly ? 'ro' : 'rw'),
    );
    m.root = fs.mount(m);
    if (m.root.type !== VType.VDIR) throw new KernelError(Errno.ENOTDIR, `root of ${fs.type} is not a directory`);
    this.vref(m.root);
    this.mountList.push(m);
    return m;
  }

  // ---- vnode references --------------------------------------------------------------------

  vref(v: Vnode): void {
    v.refcount++;
  }

  /** Drops a reference; an unlinked vnode nobody holds is released (its data freed). */
  vrele(v: Vnode): void {
    if (v.refcount <= 0) throw new Error(`vrele of unreferenced vnode ${v.ino}`);
    v.refcount--;
    this.maybeInactive(v);
  }

  private maybeInactive(v: Vnode): void {
    if (v.refcount === 0 && v.nlink === 0) {
      v.ops.inactive?.(v);
      v.mount.vnodes.forget(v);
    }
  }

  // ---- lookups -----------------------------------------------------------------------------

  /** The vnode `path` names (following a final symlink unless `follow: false`). */
  lookup(path: string, options: LookupOptions = {}): Vnode {
    return resolvePath(this.root, path, options, false).vnode!;
  }

  /** Lower-level resolution for callers that need the parent directory and final name. */
  resolve(path: string, options: LookupOptions = {}, allowMissingLast = false): Resolved {
    return resolvePath(this.root, path, options, allowMissingLast);
  }

  stat(path: string, options: LookupOptions = {}): Stat {
    return this.lookup(path, options).stat();
  }

  lstat(path: string, options: LookupOptions = {}): Stat {
    return this.lookup(path, options.follow === false ? options : { ...options, follow: false }).stat();
  }

  statfs(path: string, options: LookupOptions = {}): StatFs {
    const fs = this.lookup(path, options).mount.fs;
    return (
      fs.statfs?.() ?? {
        type: fs.type,
        blockSize: fs.blockSizeBytes ?? 4096,
        blocks: 0,
        blocksFree: 0,
        blocksAvailable: 0,
        files: 0,
        filesFree: 0,
        nameMax: 255,
      }
    );
  }

  // ---- open --------------------------------------------------------------------------------

  /**
   * open(2)/openat(2). `perm` is used when O_CREAT creates the file (libc applies the umask).
   * Linux rules: O_CREAT|O_EXCL never follows a final symlink and fails with EEXIST on any
   * existing name; O_CREAT alone follows a dangling symlink and creates its target; O_NOFOLLOW
   * on a final symlink is ELOOP; O_DIRECTORY on a non-directory is ENOTDIR; a directory opened
   * for writing is EISDIR; O_TRUNC empties a regular file.
   */
  open(path: string, flags: number, perm = 0o666, options: LookupOptions = {}): File {
    // Linux (since 6.4): O_CREAT|O_DIRECTORY is EINVAL rather than creating a regular file.
    if ((flags & (O_CREAT | O_DIRECTORY)) === (O_CREAT | O_DIRECTORY))
      throw new KernelError(Errno.EINVAL, 'O_CREAT with O_DIRECTORY');
    const nofollow = (flags & O_NOFOLLOW) !== 0 || (flags & (O_CREAT | O_EXCL)) === (O_CREAT | O_EXCL);
    // The caller's options as they are when they already say how to treat a final symlink (the
    // WASI binding keeps one object per directory fd): no copy per open.
    const lookupOptions: LookupOptions = options.follow === !nofollow ? options : { ...options, follow: !nofollow };
    let vnode: Vnode;
    let created = false;
    if ((flags & O_CREAT) !== 0) {
      const r = resolvePath(this.root, path, lookupOptions, true);
      if (r.vnode !== undefined) {
        if ((flags & O_EXCL) !== 0) throw new KernelError(Errno.EEXIST, path);
        vnode = r.vnode;
      } else {
        if (r.mustBeDir) throw new KernelError(Errno.EISDIR, path);
        const dir = r.parent;
        this.checkWritableMount(dir);
        // eslint-disable-next-line @typescript-eslint/unbound-method -- called with .call(ops) below, after the presence check
        const create = dir.ops.create;
        if (!create) throw new KernelError(Errno.EPERM, `${dir.mount.fs.type} cannot create files`);
        vnode = this.withLock(dir, () => {
          // Another thread may have created it while we waited for the lock.
          const again = dir.ops.lookup(dir, r.name);
          if (again !== undefined) {
            if ((flags & O_EXCL) !== 0) throw new KernelError(Errno.EEXIST, path);
            return crossMountsDown(again);
          }
          created = true;
          return create.call(dir.ops, dir, r.name, perm & 0o7777);
        });
      }
    } else {
      vnode = resolvePath(this.root, path, lookupOptions, false).vnode!;
    }
    if ((flags & O_DIRECTORY) !== 0 && vnode.type !== VType.VDIR) throw new KernelError(Errno.ENOTDIR, path);
    if (vnode.type === VType.VLNK && (flags & O_PATH) === 0) throw new KernelError(Errno.ELOOP, `${path} is a symlink`);
    return this.openVnode(vnode, created ? flags & ~O_TRUNC : flags);
  }

  /** Opens an already-resolved vnode (re-opening a directory fd, /proc/self/fd/N). */
  openVnode(vnode: Vnode, flags: number): File {
    const acc = flags & O_ACCMODE;
    const wantsWrite = acc !== O_RDONLY && (flags & O_PATH) === 0;
    if ((flags & O_DIRECTORY) !== 0 && vnode.type !== VType.VDIR) throw new KernelError(Errno.ENOTDIR);
    // Linux open(2): a directory opened for writing, or with O_CREAT, is EISDIR.
    if (vnode.type === VType.VDIR && (wantsWrite || (flags & O_CREAT) !== 0)) throw new KernelError(Errno.EISDIR);
    if (acc === O_ACCMODE) throw new KernelError(Errno.EINVAL, 'invalid access mode');
    const truncate = (flags & O_TRUNC) !== 0 && vnode.type === VType.VREG && (flags & O_PATH) === 0;
    if ((wantsWrite || truncate) && vnode.type === VType.VREG && vnode.mount.readOnly)
      throw new KernelError(Errno.EROFS);
    if ((flags & O_PATH) === 0) vnode.ops.open?.(vnode, flags);
    if (truncate && vnode.size !== 0) this.truncateVnode(vnode, 0);
    this.vref(vnode);
    return new File(this, vnode, flags);
  }

  /** pipe(2): [read end, write end]. */
  pipe(): [File, File] {
    const v = this.pipes.createPipe(this.pipeMount);
    return [this.openVnode(v, O_RDONLY), this.openVnode(v, O_WRONLY)];
  }

  /** The whole content of the file `path` (kernel and tool convenience: load an app, read fstab). */
  readFile(path: string, options: LookupOptions = {}): Uint8Array {
    const f = this.open(path, O_RDONLY, 0, options);
    try {
      const size = f.stat().size;
      let buf = new Uint8Array(Math.max(size, 4096));
      let n = 0;
      for (;;) {
        if (n === buf.length) {
          const bigger = new Uint8Array(buf.length * 2);
          bigger.set(buf);
          buf = bigger;
        }
        const k = f.read(buf.subarray(n));
        if (k === 0) break;
        n += k;
      }
      return n === buf.length ? buf : buf.slice(0, n);
    } finally {
      f.close();
    }
  }

  /** Creates or replaces the content of the file `path`. */
  writeFile(path: string, data: Uint8Array, perm = 0o644, options: LookupOptions = {}): void {
    const f = this.open(path, O_WRONLY | O_CREAT | O_TRUNC, perm, options);
    try {
      for (let done = 0; done < data.length;) done += f.write(data.subarray(done));
    } finally {
      f.close();
    }
  }

  // ---- namespace operations ----------------------------------------------------------------

  mkdir(path: string, perm = 0o777, options: LookupOptions = {}): Vnode {
    const r = resolvePath(this.root, path, { ...options, follow: false }, true, true);
    if (r.vnode !== undefined) throw new KernelError(Errno.EEXIST, path);
    const dir = r.parent;
    this.checkWritableMount(dir);
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called with .call(ops) below, after the presence check
    const mkdir = dir.ops.mkdir;
    if (!mkdir) throw new KernelError(Errno.EPERM, `${dir.mount.fs.type} cannot create directories`);
    return this.withLock(dir, () => {
      if (dir.ops.lookup(dir, r.name) !== undefined) throw new KernelError(Errno.EEXIST, path);
      return mkdir.call(dir.ops, dir, r.name, perm & 0o7777);
    });
  }

  rmdir(path: string, options: LookupOptions = {}): void {
    const r = resolvePath(this.root, path, { ...options, follow: false }, false, true);
    if (r.name === '/') throw new KernelError(Errno.EBUSY, `${path}: cannot remove a root`);
    if (r.name === '.') throw new KernelError(Errno.EINVAL, `${path}: cannot remove "."`);
    if (r.name === '..') throw new KernelError(Errno.ENOTEMPTY, path);
    const v = r.vnode!;
    if (v.type !== VType.VDIR) throw new KernelError(Errno.ENOTDIR, path);
    if (v === v.mount.root || v === this.root) throw new KernelError(Errno.EBUSY, `${path} is a mount point`);
    const dir = r.parent;
    this.checkWritableMount(dir);
    this.withLock(dir, () => {
      if (!v.ops.isEmpty(v)) throw new KernelError(Errno.ENOTEMPTY, path);
      // eslint-disable-next-line @typescript-eslint/unbound-method -- called with .call(ops) below, after the presence check
      const rmdir = dir.ops.rmdir;
      if (!rmdir) throw new KernelError(Errno.EPERM);
      rmdir.call(dir.ops, dir, r.name, v);
    });
    this.maybeInactive(v);
  }

  unlink(path: string, options: LookupOptions = {}): void {
    const r = resolvePath(this.root, path, { ...options, follow: false }, false, true);
    const v = r.vnode!;
    // Linux unlink(2) on a directory is EISDIR (POSIX allows EPERM); "name/" on anything else ENOTDIR.
    if (v.type === VType.VDIR) throw new KernelError(Errno.EISDIR, path);
    if (r.mustBeDir) throw new KernelError(Errno.ENOTDIR, path);
    const dir = r.parent;
    this.checkWritableMount(dir);
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called with .call(ops) below, after the presence check
    const remove = dir.ops.remove;
    if (!remove) throw new KernelError(Errno.EPERM);
    this.withLock(dir, () => remove.call(dir.ops, dir, r.name, v));
    this.maybeInactive(v);
  }

  /**
   * rename(2) with every POSIX rule: EXDEV across mounts; a directory may only replace an
   * empty directory (ENOTEMPTY otherwise, ENOTDIR over a non-directory); a non-directory may
   * not replace a directory (EISDIR); a directory may not move into its own subtree (EINVAL);
   * renaming a name onto a hard link of the same file does nothing.
   */
  rename(
    oldPath: string,
    newPath: string,
    oldOptions: LookupOptions = {},
    newOptions: LookupOptions = oldOptions,
  ): void {
    const src = resolvePath(this.root, oldPath, { ...oldOptions, follow: false }, false, true);
    const dst = resolvePath(this.root, newPath, { ...newOptions, follow: false }, true, true);
    if (isDotOrRoot(src.name) || isDotOrRoot(dst.name)) {
      throw new KernelError(Errno.EBUSY, `rename of "." or ".."`);
    }
    const v = src.vnode!;
    const srcDir = src.parent;
    const dstDir = dst.parent;
    if (srcDir.mount !== dstDir.mount) throw new KernelError(Errno.EXDEV);
    if (v === v.mount.root) throw new KernelError(Errno.EBUSY, `${oldPath} is a mount point`);
    const replaced = dst.vnode;
    if (v.type !== VType.VDIR && (src.mustBeDir || dst.mustBeDir)) throw new KernelError(Errno.ENOTDIR);
    this.checkWritableMount(srcDir);
    if (replaced === v) return;
    if (replaced !== undefined) {
      if (replaced === replaced.mount.root || replaced.mount !== v.mount)
        throw new KernelError(Errno.EBUSY, `${newPath} is a mount point`);
      if (v.type === VType.VDIR && replaced.type !== VType.VDIR) throw new KernelError(Errno.ENOTDIR, newPath);
      if (v.type !== VType.VDIR && replaced.type === VType.VDIR) throw new KernelError(Errno.EISDIR, newPath);
    }
    if (v.type === VType.VDIR && this.isAncestorOrSelf(v, dstDir))
      throw new KernelError(Errno.EINVAL, `cannot move ${oldPath} into itself`);
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called with .call(ops) below, after the presence check
    const rename = srcDir.ops.rename;
    if (!rename) throw new KernelError(Errno.EPERM);
    this.withLocks(srcDir, dstDir, () => {
      if (replaced !== undefined && replaced.type === VType.VDIR && !replaced.ops.isEmpty(replaced)) {
        throw new KernelError(Errno.ENOTEMPTY, newPath);
      }
      rename.call(srcDir.ops, srcDir, src.name, v, dstDir, dst.name, replaced);
    });
    if (replaced !== undefined) this.maybeInactive(replaced);
  }

  /** link(2)/linkat(2): `follow` (AT_SYMLINK_FOLLOW) applies to the old path; default false as on Linux. */
  link(oldPath: string, newPath: string, oldOptions: LookupOptions = {}, newOptions: LookupOptions = oldOptions): void {
    const v = resolvePath(this.root, oldPath, { ...oldOptions, follow: oldOptions.follow ?? false }, false).vnode!;
    if (v.type === VType.VDIR) throw new KernelError(Errno.EPERM, `${oldPath} is a directory`);
    const dst = resolvePath(this.root, newPath, { ...newOptions, follow: false }, true, true);
    if (dst.vnode !== undefined) throw new KernelError(Errno.EEXIST, newPath);
    if (dst.mustBeDir) throw new KernelError(Errno.ENOENT, newPath);
    const dir = dst.parent;
    if (dir.mount !== v.mount) throw new KernelError(Errno.EXDEV);
    this.checkWritableMount(dir);
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called with .call(ops) below, after the presence check
    const link = dir.ops.link;
    if (!link) throw new KernelError(Errno.EPERM);
    this.withLock(dir, () => {
      if (dir.ops.lookup(dir, dst.name) !== undefined) throw new KernelError(Errno.EEXIST, newPath);
      if (v.nlink === 0) throw new KernelError(Errno.ENOENT, oldPath);
      link.call(dir.ops, dir, dst.name, v);
    });
  }

  symlink(target: string, path: string, options: LookupOptions = {}): Vnode {
    if (target.length === 0) throw new KernelError(Errno.ENOENT, 'empty symlink target');
    const r = resolvePath(this.root, path, { ...options, follow: false }, true, true);
    if (r.vnode !== undefined) throw new KernelError(Errno.EEXIST, path);
    if (r.mustBeDir) throw new KernelError(Errno.ENOENT, path);
    const dir = r.parent;
    this.checkWritableMount(dir);
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called with .call(ops) below, after the presence check
    const symlink = dir.ops.symlink;
    if (!symlink) throw new KernelError(Errno.EPERM);
    return this.withLock(dir, () => {
      if (dir.ops.lookup(dir, r.name) !== undefined) throw new KernelError(Errno.EEXIST, path);
      return symlink.call(dir.ops, dir, r.name, target);
    });
  }

  readlink(path: string, options: LookupOptions = {}): string {
    const v = this.lookup(path, { ...options, follow: false });
    if (v.type !== VType.VLNK || !v.ops.readlink) throw new KernelError(Errno.EINVAL, `${path} is not a symlink`);
    return v.ops.readlink(v);
  }

  /** utimensat(2): times in ns since the epoch, or UTIME_NOW / UTIME_OMIT. */
  utimens(path: string, atimeNs: bigint, mtimeNs: bigint, options: LookupOptions = {}): void {
    this.utimensVnode(this.lookup(path, options), atimeNs, mtimeNs);
  }

  chmod(path: string, perm: number, options: LookupOptions = {}): void {
    this.chmodVnode(this.lookup(path, options), perm);
  }

  truncate(path: string, sizeBytes: number, options: LookupOptions = {}): void {
    const v = this.lookup(path, options);
    this.truncateVnode(v, sizeBytes);
  }

  /** sync(2): every mounted file system writes back. */
  sync(): void {
    for (const m of this.mountList) m.fs.sync?.();
  }

  // ---- vnode-level operations shared with File ---------------------------------------------

  truncateVnode(v: Vnode, sizeBytes: number): void {
    if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 0) throw new KernelError(Errno.EINVAL, `size ${sizeBytes}`);
    if (v.type === VType.VDIR) throw new KernelError(Errno.EISDIR);
    if (v.type !== VType.VREG) throw new KernelError(Errno.EINVAL);
    this.checkWritableMount(v);
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called with .call(ops) below, after the presence check
    const truncate = v.ops.truncate;
    if (!truncate) throw new KernelError(Errno.EPERM);
    this.withLock(v, () => truncate.call(v.ops, v, sizeBytes));
  }

  utimensVnode(v: Vnode, atimeNs: bigint, mtimeNs: bigint): void {
    if (atimeNs === UTIME_OMIT && mtimeNs === UTIME_OMIT) return;
    this.checkWritableMount(v);
    const now = this.nowNs();
    const attr: { atimeNs?: bigint; mtimeNs?: bigint } = {};
    if (atimeNs !== UTIME_OMIT) attr.atimeNs = atimeNs === UTIME_NOW ? now : checkTime(atimeNs);
    if (mtimeNs !== UTIME_OMIT) attr.mtimeNs = mtimeNs === UTIME_NOW ? now : checkTime(mtimeNs);
    this.withLock(v, () => {
      if (v.ops.setattr) v.ops.setattr(v, attr);
      else throw new KernelError(Errno.EPERM);
    });
  }

  chmodVnode(v: Vnode, perm: number): void {
    this.checkWritableMount(v);
    this.withLock(v, () => {
      if (v.ops.setattr) v.ops.setattr(v, { perm: perm & 0o7777 });
      else throw new KernelError(Errno.EPERM);
    });
  }

  readdirVnode(dir: Vnode, cookie: number): DirEntry | null {
    if (!Number.isSafeInteger(cookie) || cookie < 0) return null;
    if (cookie === 0) return { name: '.', ino: dir.ino, type: VType.VDIR, next: 1 };
    if (cookie === 1) {
      const parent = this.parentOf(dir);
      return { name: '..', ino: parent.ino, type: VType.VDIR, next: 2 };
    }
    return this.withLock(dir, () => {
      const e = dir.ops.readdir(dir, cookie);
      if (e === null) return null;
      // A covered directory shows the root of what is mounted on it (inode of the mount root).
      return e;
    });
  }

  /** The directory ".." names from `dir` (crossing mounts; the namespace root is its own parent). */
  parentOf(dir: Vnode): Vnode {
    if (dir === this.root) return dir;
    let d = dir;
    while (d.mount.covered !== undefined && d === d.mount.root) d = d.mount.covered;
    return crossMountsDown(d.ops.parent(d));
  }

  /**
   * The absolute path of directory `dir` in the namespace (getcwd(3)), found by walking ".."
   * and looking each directory up by identity in its parent. ENOENT when `dir` was removed.
   */
  pathOf(dir: Vnode): string {
    if (dir.type !== VType.VDIR) throw new KernelError(Errno.ENOTDIR);
    const names: string[] = [];
    let d = crossMountsDown(dir);
    for (let depth = 0; d !== this.root; depth++) {
      if (depth > 4096 || d.nlink === 0) throw new KernelError(Errno.ENOENT, 'directory was removed');
      const parent = this.parentOf(d);
      if (parent === d) throw new KernelError(Errno.ENOENT, 'directory is not reachable from the root');
      let found: string | undefined;
      for (let e = parent.ops.readdir(parent, 2); e !== null; e = parent.ops.readdir(parent, e.next)) {
        if (e.type !== VType.VDIR) continue;
        const child = parent.ops.lookup(parent, e.name);
        if (child !== undefined && crossMountsDown(child) === d) {
          found = e.name;
          break;
        }
      }
      if (found === undefined) throw new KernelError(Errno.ENOENT, 'directory was removed');
      names.push(found);
      d = parent;
    }
    return '/' + names.reverse().join('/');
  }

  private isAncestorOrSelf(ancestor: Vnode, v: Vnode): boolean {
    // Walk ".." from v to the mount's root; rename is within one mount, so the walk can stop there.
    let d = v;
    for (;;) {
      if (d === ancestor) return true;
      if (d === d.mount.root) return false;
      const p = d.ops.parent(d);
      if (p === d) return false;
      d = p;
    }
  }

  private checkWritableMount(v: Vnode): void {
    if (v.mount.readOnly) throw new KernelError(Errno.EROFS);
  }

  withLock<T>(v: Vnode, body: () => T): T {
    v.lock.acquire(this.blocker, this.owner());
    try {
      return body();
    } finally {
      v.lock.release();
    }
  }

  /** Locks two vnodes in a fixed order (mount id, inode) so two renames cannot deadlock. */
  private withLocks<T>(a: Vnode, b: Vnode, body: () => T): T {
    if (a === b) return this.withLock(a, body);
    const [first, second] = a.mount.id < b.mount.id || (a.mount.id === b.mount.id && a.ino < b.ino) ? [a, b] : [b, a];
    return this.withLock(first, () => this.withLock(second, body));
  }
}

function isDotOrRoot(name: string): boolean {
  return name === '.' || name === '..' || name === '/';
}

function checkTime(ns: bigint): bigint {
  if (ns < 0n) throw new KernelError(Errno.EINVAL, `time ${ns}`);
  return ns;
}

function normalizeMountPath(path: string): string {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  return '/' + parts.join('/');
}
