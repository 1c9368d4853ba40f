// The file-system half of wasi_snapshot_preview1 over the VFS: preopens, path_* relative to a
// directory fd, fd_readdir with WASI's buffer-truncation protocol, filestat and times.
//
// Every directory fd is a capability for the tree beneath it, as in wasmtime (cap-std): a path
// is walked from the fd's directory one component at a time (vfs sandbox 'beneath'), and an
// absolute path, a ".." above the fd's directory, or a symlink that leads out of it fails with
// EPERM — wasmtime's errno (cap-std's escape_attempt is PermissionDenied); uvwasi answers
// ENOTCAPABLE, and Linux's openat would simply follow. One difference from wasmtime: through the
// root preopen "/", the top of the VM's namespace, an absolute symlink target restarts at "/"
// instead of failing, because the image's links were written for that namespace and cannot
// reach anything the preopen does not already reach. path_symlink refuses absolute targets
// through every fd (cap-std does; Linux allows them), so a guest cannot plant links whose
// meaning depends on where the image is mounted later. The rule is stated in the README.
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
  type Stat,
  type Vfs,
} from '@osv-ts/vfs';
import { VfsFile, kindOf } from '../fd/vfs-file.js';
import type { FdEntry } from '../fd/fd-table.js';
import type { Process } from '../process.js';
import { Filetype, Rights } from './preview1-types.js';
import { FILETYPE_OF_KIND, type Preview1Extension, type WasiPreview1 } from './preview1.js';
import { WasiErrno } from './wasi-errno.js';
import { NotCapableError, maxRights, rightsFromAbi } from './wasi-rights.js';

const OFLAGS_CREAT = 1;
const OFLAGS_DIRECTORY = 2;
const OFLAGS_EXCL = 4;
const OFLAGS_TRUNC = 8;
const FDFLAGS_APPEND = 1;
const FDFLAGS_DSYNC = 2;
const FDFLAGS_NONBLOCK = 4;
const FDFLAGS_RSYNC = 8;
const FDFLAGS_SYNC = 16;
const SLASH = 47;
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
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Installs `paths` as preopened directories (fds 3, 4, …) and returns them. */
export function installPreopens(vfs: Vfs, process: Process, paths: readonly string[]): number[] {
  return paths.map((path) => {
    const dir = vfs.open(path, O_RDONLY | O_DIRECTORY);
    const file = new VfsFile(dir, path);
    file.absoluteSymlinksAtRoot = dir.vnode === vfs.lookup('/');
    const max = maxRights('directory');
    return process.fds.allocate(file, { rightsBase: max.base, rightsInheriting: max.inheriting, preopenPath: path });
  });
}

/** The fs functions, to be added to a WasiPreview1 with `extend()`. */
export function wasiFsExtension(vfs: Vfs): Preview1Extension {
  // A path_* call or fd_readdir through an fd that is not a directory is EBADF, as in wasmtime
  // (Linux: ENOTDIR); path_open through a file is ENOTDIR there, and so here.
  const dirEntry = (
    w: WasiPreview1,
    fd: number,
    right: number,
    onFile: number = Errno.EBADF,
  ): { entry: FdEntry; file: VfsFile } => {
    const entry = w.process.fds.get(fd);
    const file = entry.description.file;
    if (!(file instanceof VfsFile)) throw new KernelError(Errno.EBADF, `fd ${fd} is not a file`);
    if (file.kind !== 'directory') throw new KernelError(onFile, `fd ${fd} is not a directory`);
    if ((entry.rightsBase & right) !== right) throw new NotCapableError(`fd ${fd} lacks the right`);
    return { entry, file };
  };
  // Lookups through a directory fd: confined beneath its own directory. The two option objects
  // (follow or not) are made once per directory fd, not per call.
  const opts = (dir: VfsFile, follow: boolean): LookupOptions => {
    const sandbox = dir.absoluteSymlinksAtRoot ? 'beneath-links-in-root' : 'beneath';
    let cached = dir.lookupOptions;
    if (cached === undefined || cached[0].sandbox !== sandbox) {
      const at = dir.file.vnode;
      cached = dir.lookupOptions = [
        { at, root: at, sandbox, follow: false },
        { at, root: at, sandbox, follow: true },
      ];
    }
    return cached[follow ? 1 : 0];
  };
  // The last path decoded: programs name the same path again and again (stat, then open), and
  // comparing a few bytes costs less than decoding them into a new string each time (which the
  // lookup would then hash again).
  let lastPathBytes = new Uint8Array(0);
  let lastPath = '';
  const pathArg = (w: WasiPreview1, ptr: number, len: number): string => {
    if (w.memory.equals(ptr, len, lastPathBytes)) return lastPath;
    const bytes = w.memory.bytes(ptr, len);
    const path = utf8.decode(bytes);
    if (path.includes('\0')) throw new KernelError(Errno.EINVAL, 'path contains NUL');
    lastPathBytes = bytes.slice();
    lastPath = path;
    return path;
  };
  const fileEntry = (w: WasiPreview1, fd: number, right: number, onDirectory?: number): VfsFile => {
    const entry = w.process.fds.get(fd);
    const file = entry.description.file;
    if (onDirectory !== undefined && file.kind === 'directory') throw new KernelError(onDirectory, `fd ${fd}`);
    if ((entry.rightsBase & right) !== right) throw new NotCapableError(`fd ${fd} lacks the right`);
    if (!(file instanceof VfsFile)) throw new KernelError(Errno.EINVAL, `fd ${fd} is not a file`);
    return file;
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
      const { entry, file: dir } = dirEntry(this, fd, Rights.PATH_OPEN, Errno.ENOTDIR);
      const path = pathArg(this, pathPtr, pathLen);
      const base = rightsFromAbi(rightsBase);
      const inheriting = rightsFromAbi(rightsInheriting);
      // The new fd gets at most the directory's inheriting rights (witx path_open: fewer rights
      // than asked only where they do not apply to the file's type — so asking for more is
      // refused, as uvwasi does, not silently trimmed).
      if (
        base === undefined ||
        inheriting === undefined ||
        (base & ~entry.rightsInheriting) !== 0 ||
        (inheriting & ~entry.rightsInheriting) !== 0
      ) {
        return WasiErrno.NOTCAPABLE;
      }
      // witx rights: path_create_file allows oflags::creat, path_filestat_set_size oflags::trunc
      // (rights of the directory itself); fd_datasync allows fdflags::dsync and fd_sync
      // rsync/dsync (rights the new fd inherits, so looked for in the inheriting set, as uvwasi
      // does).
      let dirNeeds = 0;
      if (oflags & OFLAGS_CREAT) dirNeeds |= Rights.PATH_CREATE_FILE;
      if (oflags & OFLAGS_TRUNC) dirNeeds |= Rights.PATH_FILESTAT_SET_SIZE;
      if ((entry.rightsBase & dirNeeds) !== dirNeeds) return WasiErrno.NOTCAPABLE;
      if (fdflags & (FDFLAGS_RSYNC | FDFLAGS_SYNC) && (entry.rightsInheriting & Rights.FD_SYNC) === 0)
        return WasiErrno.NOTCAPABLE;
      if (fdflags & FDFLAGS_DSYNC && (entry.rightsInheriting & (Rights.FD_DATASYNC | Rights.FD_SYNC)) === 0)
        return WasiErrno.NOTCAPABLE;
      // The rights asked for choose the open mode. For oflags::directory only FD_WRITE counts
      // (read/write is EISDIR, as in wasmtime); the other write rights do not apply to a
      // directory, so witx lets path_open leave them out instead of failing.
      const wantsWrite = (base & (oflags & OFLAGS_DIRECTORY ? Rights.FD_WRITE : WRITE_RIGHTS)) !== 0;
      const wantsRead = (base & (Rights.FD_READ | Rights.FD_READDIR)) !== 0;
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
      const opened = vfs.open(path, flags, 0o666, opts(dir, follow));
      // A directory opened here is a capability for its own subtree only (opts() above).
      const file = new VfsFile(opened, path);
      const max = maxRights(file.kind);
      const newFd = this.process.fds.allocate(file, {
        rightsBase: base & max.base,
        rightsInheriting: inheriting & max.inheriting,
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
      const { file } = dirEntry(this, fd, Rights.PATH_FILESTAT_GET);
      const path = pathArg(this, pathPtr, pathLen);
      // The options say whether a final symlink is followed (stat) or not (lstat).
      writeVfsFilestat(this, bufPtr, vfs.stat(path, opts(file, (flags & LOOKUP_SYMLINK_FOLLOW) !== 0)));
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
      const { file } = dirEntry(this, fd, Rights.PATH_FILESTAT_SET_TIMES);
      const path = pathArg(this, pathPtr, pathLen);
      const [a, m] = times(this, atim, mtim, fstFlags);
      vfs.utimens(path, a, m, opts(file, (flags & LOOKUP_SYMLINK_FOLLOW) !== 0));
      return WasiErrno.SUCCESS;
    },

    fd_filestat_set_times(this: WasiPreview1, fd: number, atim: bigint, mtim: bigint, fstFlags: number): number {
      const file = fileEntry(this, fd, Rights.FD_FILESTAT_SET_TIMES);
      const [a, m] = times(this, atim, mtim, fstFlags);
      file.file.utimens(a, m);
      return WasiErrno.SUCCESS;
    },

    fd_allocate(this: WasiPreview1, fd: number, offset: bigint, len: bigint): number {
      // wasmtime: EBADF on a directory, before any rights check.
      const file = fileEntry(this, fd, Rights.FD_ALLOCATE, Errno.EBADF);
      file.file.allocate(Number(BigInt.asUintN(64, offset)), Number(BigInt.asUintN(64, len)));
      return WasiErrno.SUCCESS;
    },

    path_create_directory(this: WasiPreview1, fd: number, pathPtr: number, pathLen: number): number {
      const { file } = dirEntry(this, fd, Rights.PATH_CREATE_DIRECTORY);
      vfs.mkdir(pathArg(this, pathPtr, pathLen), 0o777, opts(file, false));
      return WasiErrno.SUCCESS;
    },

    path_remove_directory(this: WasiPreview1, fd: number, pathPtr: number, pathLen: number): number {
      const { file } = dirEntry(this, fd, Rights.PATH_REMOVE_DIRECTORY);
      vfs.rmdir(pathArg(this, pathPtr, pathLen), opts(file, false));
      return WasiErrno.SUCCESS;
    },

    path_unlink_file(this: WasiPreview1, fd: number, pathPtr: number, pathLen: number): number {
      const { file } = dirEntry(this, fd, Rights.PATH_UNLINK_FILE);
      vfs.unlink(pathArg(this, pathPtr, pathLen), opts(file, false));
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
        opts(from.file, false),
        opts(to.file, false),
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
        opts(from.file, follow),
        opts(to.file, false),
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
      const { file } = dirEntry(this, fd, Rights.PATH_SYMLINK);
      const target = pathArg(this, oldPtr, oldLen);
      // cap-std refuses absolute targets (PermissionDenied, wasmtime's EPERM); Linux stores them.
      if (target.charCodeAt(0) === SLASH) throw new KernelError(Errno.EPERM, 'absolute symlink target');
      vfs.symlink(target, pathArg(this, newPtr, newLen), opts(file, false));
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
      const { file } = dirEntry(this, fd, Rights.PATH_READLINK);
      const target = enc.encode(vfs.readlink(pathArg(this, pathPtr, pathLen), opts(file, false)));
      const n = Math.min(target.length, bufLen >>> 0);
      this.memory.bytes(bufPtr, n).set(target.subarray(0, n));
      this.memory.setU32(bufusedPtr, n);
      return WasiErrno.SUCCESS;
    },
  };
}

/**
 * Serializes a VFS Stat as witx `filestat` (dev u64, ino u64, filetype u8, nlink u64, size u64,
 * atim, mtim, ctim): the integer fields are Numbers written as u32 halves, so a path_filestat_get
 * converts no BigInt (WasiPreview1.writeFilestat takes libc's FileStat, which has BigInts).
 */
function writeVfsFilestat(w: WasiPreview1, ptr: number, st: Stat): void {
  const m = w.memory;
  const v = m.view(ptr, 64);
  ptr >>>= 0;
  m.setU64Number(ptr, st.dev);
  m.setU64Number(ptr + 8, st.ino);
  v.setUint32(ptr + 16, FILETYPE_OF_KIND[kindOf(st.type)], true);
  v.setUint32(ptr + 20, 0, true);
  m.setU64Number(ptr + 24, st.nlink);
  m.setU64Number(ptr + 32, st.size);
  v.setBigUint64(ptr + 40, st.atimeNs, true);
  v.setBigUint64(ptr + 48, st.mtimeNs, true);
  v.setBigUint64(ptr + 56, st.ctimeNs, true);
}

/** Errors of the fs binding that WASI numbers differently: a path leaving its directory fd is
 *  EPERM, as in wasmtime (the VFS raises it as EXDEV). */
export function fsErrorToWasi(e: unknown): number | undefined {
  return e instanceof SandboxEscapeError ? WasiErrno.PERM : undefined;
}
