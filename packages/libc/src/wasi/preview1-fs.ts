// The file-system half of wasi_snapshot_preview1 over the VFS: preopens, path_* relative to a
// directory fd, fd_readdir with WASI's buffer-truncation protocol, filestat and times. Paths
// from an fd stay inside its preopen: the root preopen is the VM's own root (chroot-like, so
// absolute symlinks work as on Linux); any other preopen is a sandbox that `..`, absolute paths
// and absolute symlinks cannot leave (ENOTCAPABLE), checked on every step of the walk.
import { Errno, KernelError } from '@osv-ts/kernel-api';
import {
  O_APPEND,
  O_CREAT,
  O_DIRECTORY,
  O_DSYNC,
  O_EXCL,
  O_NOFOLLOW,
  O_NONBLOCK,
  O_RDONLY,
  O_RDWR,
  O_SYNC,
  O_TRUNC,
  O_WRONLY,
  SandboxEscapeError,
  UTIME_NOW,
  UTIME_OMIT,
  VType,
  type LookupOptions,
  type Vfs,
} from '@osv-ts/vfs';
import { VfsFile, toFileStat, type Sandbox } from '../fd/vfs-file.js';
import type { FdEntry } from '../fd/fd-table.js';
import type { Process } from '../process.js';
import { Filetype, Rights } from './preview1-types.js';
import type { Preview1Extension, WasiPreview1 } from './preview1.js';
import { WasiErrno } from './wasi-errno.js';
import { NotCapableError, maxRights } from './wasi-rights.js';

const OFLAGS_CREAT = 1;
const OFLAGS_DIRECTORY = 2;
const OFLAGS_EXCL = 4;
const OFLAGS_TRUNC = 8;
const FDFLAGS_APPEND = 1;
const FDFLAGS_DSYNC = 2;
const FDFLAGS_NONBLOCK = 4;
const FDFLAGS_RSYNC = 8;
const FDFLAGS_SYNC = 16;
const LOOKUP_SYMLINK_FOLLOW = 1;
const FST_ATIM = 1;
const FST_ATIM_NOW = 2;
const FST_MTIM = 4;
const FST_MTIM_NOW = 8;
const DIRENT_HEADER = 24;

const VTYPE_TO_FILETYPE: Record<number, number> = {
  [VType.VREG]: Filetype.REGULAR_FILE,
  [VType.VDIR]: Filetype.DIRECTORY,
  [VType.VBLK]: Filetype.BLOCK_DEVICE,
  [VType.VCHR]: Filetype.CHARACTER_DEVICE,
  [VType.VLNK]: Filetype.SYMBOLIC_LINK,
  [VType.VSOCK]: Filetype.SOCKET_STREAM,
};

const WRITE_RIGHTS = Rights.FD_WRITE | Rights.FD_ALLOCATE | Rights.FD_FILESTAT_SET_SIZE | Rights.FD_DATASYNC;

const enc = new TextEncoder();

/** Installs `paths` as preopened directories (fds 3, 4, …) and returns them. */
export function installPreopens(vfs: Vfs, process: Process, paths: readonly string[]): number[] {
  return paths.map((path) => {
    const dir = vfs.open(path, O_RDONLY | O_DIRECTORY);
    const file = new VfsFile(dir, path);
    file.sandbox = { root: dir.vnode, mode: path === '/' ? 'in-root' : 'beneath' };
    const max = maxRights('directory');
    return process.fds.allocate(file, { rightsBase: max.base, rightsInheriting: max.inheriting, preopenPath: path });
  });
}

/** The fs functions, to be added to a WasiPreview1 with `extend()`. */
export function wasiFsExtension(vfs: Vfs): Preview1Extension {
  const dirEntry = (
    w: WasiPreview1,
    fd: number,
    right: bigint,
  ): { entry: FdEntry; file: VfsFile; sandbox: Sandbox } => {
    const entry = w.process.fds.get(fd);
    const file = entry.description.file;
    if (!(file instanceof VfsFile) || file.kind !== 'directory') throw new KernelError(Errno.ENOTDIR, `fd ${fd}`);
    if ((entry.rightsBase & right) !== right) throw new NotCapableError(`fd ${fd} lacks the right`);
    return { entry, file, sandbox: file.sandbox ?? { root: vfs.root, mode: 'in-root' } };
  };
  const opts = (file: VfsFile, sandbox: Sandbox, follow = true): LookupOptions => ({
    at: file.file.vnode,
    root: sandbox.root,
    sandbox: sandbox.mode,
    follow,
  });
  const pathArg = (w: WasiPreview1, ptr: number, len: number): string => {
    const path = w.memory.string(ptr, len);
    if (path.includes('\0')) throw new KernelError(Errno.EINVAL, 'path contains NUL');
    return path;
  };
  const fileEntry = (w: WasiPreview1, fd: number, right: bigint): { entry: FdEntry; file: VfsFile } => {
    const entry = w.process.fds.get(fd);
    if ((entry.rightsBase & right) !== right) throw new NotCapableError(`fd ${fd} lacks the right`);
    const file = entry.description.file;
    if (!(file instanceof VfsFile)) throw new KernelError(Errno.EINVAL, `fd ${fd} is not a file`);
    return { entry, file };
  };
  const times = (w: WasiPreview1, atim: bigint, mtim: bigint, flags: number): [bigint, bigint] => {
    if ((flags & FST_ATIM && flags & FST_ATIM_NOW) || (flags & FST_MTIM && flags & FST_MTIM_NOW) || flags & ~15) {
      throw new KernelError(Errno.EINVAL, 'fst_flags');
    }
    const a = flags & FST_ATIM_NOW ? UTIME_NOW : flags & FST_ATIM ? BigInt.asUintN(64, atim) : UTIME_OMIT;
    const m = flags & FST_MTIM_NOW ? UTIME_NOW : flags & FST_MTIM ? BigInt.asUintN(64, mtim) : UTIME_OMIT;
    void w;
    return [a, m];
  };

  return {
    fd_prestat_get(this: WasiPreview1, fd: number, bufPtr: number): number {
      const entry = this.process.fds.get(fd);
      if (entry.preopenPath === undefined) return WasiErrno.BADF;
      if (entry.description.file.kind !== 'directory') {
        // A preopened listening socket (--tcplisten, fd 3… as in wasmtime). preview1 has only
        // the `dir` preopen type; answering another tag (1) makes wasi-libc's preopen scan skip
        // it and go on to the directories after it instead of stopping there (EBADF would).
        this.memory.view(bufPtr, 8).setUint32(bufPtr, 1, true);
        this.memory.setU32(bufPtr + 4, 0);
        return WasiErrno.SUCCESS;
      }
      const v = this.memory.view(bufPtr, 8);
      v.setUint32(bufPtr, 0, true); // tag 0: preopentype dir
      v.setUint32(bufPtr + 4, enc.encode(entry.preopenPath).length, true);
      return WasiErrno.SUCCESS;
    },

    fd_prestat_dir_name(this: WasiPreview1, fd: number, pathPtr: number, pathLen: number): number {
      const entry = this.process.fds.get(fd);
      if (entry.preopenPath === undefined) return WasiErrno.BADF;
      const name = enc.encode(entry.preopenPath);
      if (pathLen < name.length) return WasiErrno.NAMETOOLONG;
      this.memory.bytes(pathPtr, name.length).set(name);
      return WasiErrno.SUCCESS;
    },

    path_open(
      this: WasiPreview1,
      fd: number,
      dirflags: number,
      pathPtr: number,
      pathLen: number,
      oflags: number,
      rightsBase: bigint,
      rightsInheriting: bigint,
      fdflags: number,
      fdPtr: number,
    ): number {
      const { entry, file: dir, sandbox } = dirEntry(this, fd, Rights.PATH_OPEN);
      const path = pathArg(this, pathPtr, pathLen);
      rightsBase = BigInt.asUintN(64, rightsBase);
      rightsInheriting = BigInt.asUintN(64, rightsInheriting);
      if ((rightsBase & ~entry.rightsInheriting) !== 0n || (rightsInheriting & ~entry.rightsInheriting) !== 0n) {
        return WasiErrno.NOTCAPABLE;
      }
      const wantsWrite = (rightsBase & WRITE_RIGHTS) !== 0n;
      const wantsRead = (rightsBase & (Rights.FD_READ | Rights.FD_READDIR)) !== 0n;
      let flags = wantsWrite ? (wantsRead ? O_RDWR : O_WRONLY) : O_RDONLY;
      if (oflags & OFLAGS_CREAT) flags |= O_CREAT;
      if (oflags & OFLAGS_DIRECTORY) flags |= O_DIRECTORY;
      if (oflags & OFLAGS_EXCL) flags |= O_EXCL;
      if (oflags & OFLAGS_TRUNC) flags |= O_TRUNC;
      if (fdflags & FDFLAGS_APPEND) flags |= O_APPEND;
      if (fdflags & FDFLAGS_NONBLOCK) flags |= O_NONBLOCK;
      if (fdflags & (FDFLAGS_SYNC | FDFLAGS_RSYNC)) flags |= O_SYNC;
      else if (fdflags & FDFLAGS_DSYNC) flags |= O_DSYNC;
      const follow = (dirflags & LOOKUP_SYMLINK_FOLLOW) !== 0;
      if (!follow) flags |= O_NOFOLLOW;
      if (
        oflags & (OFLAGS_CREAT | OFLAGS_TRUNC) &&
        !(entry.rightsBase & (oflags & OFLAGS_CREAT ? Rights.PATH_CREATE_FILE : Rights.PATH_FILESTAT_SET_SIZE))
      ) {
        return WasiErrno.NOTCAPABLE;
      }
      const opened = vfs.open(path, flags, 0o666, opts(dir, sandbox, follow));
      const file = new VfsFile(opened, path);
      // Every directory fd is a capability for its own subtree (as in wasmtime and uvwasi), except
      // under the root preopen, which is the whole VM's namespace.
      if (file.kind === 'directory')
        file.sandbox = sandbox.mode === 'in-root' ? sandbox : { root: opened.vnode, mode: 'beneath' };
      const max = maxRights(file.kind);
      const newFd = this.process.fds.allocate(file, {
        rightsBase: rightsBase & max.base,
        rightsInheriting: rightsInheriting & max.inheriting,
      });
      this.memory.setU32(fdPtr, newFd);
      return WasiErrno.SUCCESS;
    },

    fd_readdir(
      this: WasiPreview1,
      fd: number,
      bufPtr: number,
      bufLen: number,
      cookie: bigint,
      bufusedPtr: number,
    ): number {
      const { file } = dirEntry(this, fd, Rights.FD_READDIR);
      const out = this.memory.bytes(bufPtr, bufLen);
      const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
      const header = new Uint8Array(DIRENT_HEADER);
      const hv = new DataView(header.buffer);
      let used = 0;
      let c = Number(BigInt.asUintN(64, cookie));
      while (used < out.length) {
        const e = file.file.readdir(c);
        if (!e) break;
        const name = enc.encode(e.name);
        hv.setBigUint64(0, BigInt(e.next), true);
        hv.setBigUint64(8, BigInt(e.ino), true);
        hv.setUint32(16, name.length, true);
        hv.setUint8(20, VTYPE_TO_FILETYPE[e.type] ?? Filetype.UNKNOWN);
        // WASI: entries are copied whole while they fit; the last one may be cut short, and a
        // full buffer tells the caller to retry from that entry's cookie with a larger one.
        const h = Math.min(DIRENT_HEADER, out.length - used);
        out.set(header.subarray(0, h), used);
        used += h;
        const n = Math.min(name.length, out.length - used);
        out.set(name.subarray(0, n), used);
        used += n;
        c = e.next;
      }
      void view;
      this.memory.setU32(bufusedPtr, used);
      return WasiErrno.SUCCESS;
    },

    path_filestat_get(
      this: WasiPreview1,
      fd: number,
      flags: number,
      pathPtr: number,
      pathLen: number,
      bufPtr: number,
    ): number {
      const { file, sandbox } = dirEntry(this, fd, Rights.PATH_FILESTAT_GET);
      const path = pathArg(this, pathPtr, pathLen);
      const follow = (flags & LOOKUP_SYMLINK_FOLLOW) !== 0;
      const st = follow ? vfs.stat(path, opts(file, sandbox)) : vfs.lstat(path, opts(file, sandbox, false));
      this.writeFilestat(bufPtr, toFileStat(st));
      return WasiErrno.SUCCESS;
    },

    path_filestat_set_times(
      this: WasiPreview1,
      fd: number,
      flags: number,
      pathPtr: number,
      pathLen: number,
      atim: bigint,
      mtim: bigint,
      fstFlags: number,
    ): number {
      const { file, sandbox } = dirEntry(this, fd, Rights.PATH_FILESTAT_SET_TIMES);
      const path = pathArg(this, pathPtr, pathLen);
      const [a, m] = times(this, atim, mtim, fstFlags);
      vfs.utimens(path, a, m, opts(file, sandbox, (flags & LOOKUP_SYMLINK_FOLLOW) !== 0));
      return WasiErrno.SUCCESS;
    },

    fd_filestat_set_times(this: WasiPreview1, fd: number, atim: bigint, mtim: bigint, fstFlags: number): number {
      const { file } = fileEntry(this, fd, Rights.FD_FILESTAT_SET_TIMES);
      const [a, m] = times(this, atim, mtim, fstFlags);
      file.file.utimens(a, m);
      return WasiErrno.SUCCESS;
    },

    fd_allocate(this: WasiPreview1, fd: number, offset: bigint, len: bigint): number {
      const { file } = fileEntry(this, fd, Rights.FD_ALLOCATE);
      file.file.allocate(Number(BigInt.asUintN(64, offset)), Number(BigInt.asUintN(64, len)));
      return WasiErrno.SUCCESS;
    },

    path_create_directory(this: WasiPreview1, fd: number, pathPtr: number, pathLen: number): number {
      const { file, sandbox } = dirEntry(this, fd, Rights.PATH_CREATE_DIRECTORY);
      vfs.mkdir(pathArg(this, pathPtr, pathLen), 0o777, opts(file, sandbox, false));
      return WasiErrno.SUCCESS;
    },

    path_remove_directory(this: WasiPreview1, fd: number, pathPtr: number, pathLen: number): number {
      const { file, sandbox } = dirEntry(this, fd, Rights.PATH_REMOVE_DIRECTORY);
      vfs.rmdir(pathArg(this, pathPtr, pathLen), opts(file, sandbox, false));
      return WasiErrno.SUCCESS;
    },

    path_unlink_file(this: WasiPreview1, fd: number, pathPtr: number, pathLen: number): number {
      const { file, sandbox } = dirEntry(this, fd, Rights.PATH_UNLINK_FILE);
      vfs.unlink(pathArg(this, pathPtr, pathLen), opts(file, sandbox, false));
      return WasiErrno.SUCCESS;
    },

    path_rename(
      this: WasiPreview1,
      fd: number,
      oldPtr: number,
      oldLen: number,
      newFd: number,
      newPtr: number,
      newLen: number,
    ): number {
      const from = dirEntry(this, fd, Rights.PATH_RENAME_SOURCE);
      const to = dirEntry(this, newFd, Rights.PATH_RENAME_TARGET);
      vfs.rename(
        pathArg(this, oldPtr, oldLen),
        pathArg(this, newPtr, newLen),
        opts(from.file, from.sandbox, false),
        opts(to.file, to.sandbox, false),
      );
      return WasiErrno.SUCCESS;
    },

    path_link(
      this: WasiPreview1,
      oldFd: number,
      oldFlags: number,
      oldPtr: number,
      oldLen: number,
      newFd: number,
      newPtr: number,
      newLen: number,
    ): number {
      const from = dirEntry(this, oldFd, Rights.PATH_LINK_SOURCE);
      const to = dirEntry(this, newFd, Rights.PATH_LINK_TARGET);
      const follow = (oldFlags & LOOKUP_SYMLINK_FOLLOW) !== 0;
      vfs.link(
        pathArg(this, oldPtr, oldLen),
        pathArg(this, newPtr, newLen),
        opts(from.file, from.sandbox, follow),
        opts(to.file, to.sandbox, false),
      );
      return WasiErrno.SUCCESS;
    },

    path_symlink(
      this: WasiPreview1,
      oldPtr: number,
      oldLen: number,
      fd: number,
      newPtr: number,
      newLen: number,
    ): number {
      const { file, sandbox } = dirEntry(this, fd, Rights.PATH_SYMLINK);
      vfs.symlink(pathArg(this, oldPtr, oldLen), pathArg(this, newPtr, newLen), opts(file, sandbox, false));
      return WasiErrno.SUCCESS;
    },

    path_readlink(
      this: WasiPreview1,
      fd: number,
      pathPtr: number,
      pathLen: number,
      bufPtr: number,
      bufLen: number,
      bufusedPtr: number,
    ): number {
      const { file, sandbox } = dirEntry(this, fd, Rights.PATH_READLINK);
      const target = enc.encode(vfs.readlink(pathArg(this, pathPtr, pathLen), opts(file, sandbox, false)));
      const n = Math.min(target.length, bufLen >>> 0);
      this.memory.bytes(bufPtr, n).set(target.subarray(0, n));
      this.memory.setU32(bufusedPtr, n);
      return WasiErrno.SUCCESS;
    },
  };
}

/** Errors of the fs binding that are not Linux errnos. */
export function fsErrorToWasi(e: unknown): number | undefined {
  return e instanceof SandboxEscapeError ? WasiErrno.NOTCAPABLE : undefined;
}
