// The host side of a virtio-fs share: FUSE requests answered from one host directory through
// node:fs, confined to it (virtiofsd's design, without openat, which Node lacks):
//
// - Every node the guest knows is held as an O_PATH|O_NOFOLLOW descriptor of its inode (one
//   per host inode; node ids are deduplicated by dev+ino), opened from its parent's descriptor.
// - A path is never walked on the host: a name is one component (no "/", not "." or ".."),
//   and every operation on it goes through `/proc/self/fd/<parent fd>/<name>`. The kernel
//   resolves that magic link to the very directory the descriptor holds (not to a path that
//   might have been swapped meanwhile), so it is openat(parentfd, name) in effect; the final
//   component is never followed (O_NOFOLLOW opens, lstat, and the syscalls — rename, unlink,
//   rmdir, mkdir, symlink, link — that do not follow a final symlink).
// - A descriptor is used as a directory only when its inode is one (the type of an inode never
//   changes), and a symlink node is never opened or looked through: the guest reads it
//   (READLINK) and resolves it in its own namespace, so a symlink pointing out of the share,
//   absolute or with "..", even one the guest made, leads nowhere on the host.
// - Hard links: LINK only names nodes the guest holds, which are inside the share.
// - A read-only share answers every modification EROFS.
//
// Residual (honest): a directory the guest holds that a *host* process moves out of the share
// stays reachable through its descriptor (virtiofsd behaves the same); a hard link a host user
// made from inside the share to a file outside is that file (an inode has no "inside"). Needs
// Linux's /proc. Each node holds one descriptor until the guest forgets it (RLIMIT_NOFILE).
import {
  closeSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  futimesSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmdirSync,
  statfsSync,
  symlinkSync,
  unlinkSync,
  writeSync,
  chmodSync,
  lchownSync,
  constants,
  type BigIntStats,
} from 'node:fs';
import { Errno } from '@osv-ts/kernel-api';
import {
  FUSE_ROOT_ID,
  FuseSetattrValid,
  direntBytes,
  type FuseAttr,
  type FuseBackend,
  type FuseDirent,
  type FuseEntry,
  type FuseReply,
  type FuseRequest,
} from '@osv-ts/drivers-virtio';

/** O_PATH (Linux asm-generic): a descriptor that names an inode without opening it for I/O. */
const O_PATH = 0o10000000;
const O_NOFOLLOW = constants.O_NOFOLLOW;
const O_DIRECTORY = constants.O_DIRECTORY;
const O_ACCMODE = 3;
const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
/** Open flags a guest may pass through (access mode, append, sync); the rest are ours to set. */
const OPEN_PASS = O_ACCMODE | constants.O_APPEND | constants.O_SYNC | constants.O_DSYNC;

interface Node {
  readonly nodeid: bigint;
  readonly fd: number;
  readonly key: string;
  readonly type: number;
  nlookup: bigint;
  /** Where the guest last saw it (READLINK and LINK name it through its parent). */
  parent: Node | undefined;
  name: string;
}

class FuseFailure extends Error {
  constructor(readonly errno: number) {
    super(`errno ${errno}`);
  }
}

/**
 * Largest READ/WRITE agreed to by default: 1 MiB, so an app's 1 MiB read or write crosses in one
 * request (the per-request round trip, not the copy, dominated at 128 KiB).
 */
export const NODE_FS_MAX_WRITE_BYTES = 1024 * 1024;

export interface NodeFsBackendOptions {
  readonly readOnly?: boolean;
  /** Largest READ/WRITE the device agrees to in FUSE_INIT (default NODE_FS_MAX_WRITE_BYTES). */
  readonly maxWriteBytes?: number;
  /**
   * entry_valid and attr_valid of LOOKUP, GETATTR and SETATTR replies, in ms: how long the guest
   * may trust a name and attributes without asking (default 1000, virtiofsd's cache=auto; 0 is
   * cache=none, every lookup and stat goes to the host).
   */
  readonly cacheTimeoutMs?: number;
  /**
   * The max_readahead agreed in FUSE_INIT, in bytes: how far ahead of a sequential reader the
   * guest may send READs (default NODE_FS_READ_AHEAD_BYTES; at most what the guest asked for;
   * below max_write the guest reads no ahead).
   */
  readonly readAheadBytes?: number;
}

/** Read-ahead allowed by default: 4 MiB, four 1 MiB READs in flight. */
export const NODE_FS_READ_AHEAD_BYTES = 4 * 1024 * 1024;

/** virtiofsd's cache=auto timeout. */
export const NODE_FS_CACHE_TIMEOUT_MS = 1000;

export class NodeFsBackend implements FuseBackend {
  readonly readOnly: boolean;
  /** As given (a device thread builds its own back-end from them). */
  readonly options: NodeFsBackendOptions;
  private readonly maxWrite: number;
  private readonly readAhead: number;
  private readonly validSec: bigint;
  private readonly validNsec: number;
  private readonly nodes = new Map<bigint, Node>();
  private readonly byKey = new Map<string, Node>();
  private readonly files = new Map<bigint, number>();
  private readonly dirs = new Map<bigint, { name: string; ino: bigint; type: number }[]>();
  private nextNodeid = FUSE_ROOT_ID + 1n;
  private nextFh = 1n;

  constructor(
    /** The shared host directory. */
    readonly root: string,
    options: NodeFsBackendOptions = {},
  ) {
    this.options = options;
    this.readOnly = options.readOnly ?? false;
    this.maxWrite = options.maxWriteBytes ?? NODE_FS_MAX_WRITE_BYTES;
    this.readAhead = options.readAheadBytes ?? NODE_FS_READ_AHEAD_BYTES;
    const validMs = options.cacheTimeoutMs ?? NODE_FS_CACHE_TIMEOUT_MS;
    this.validSec = BigInt(Math.floor(validMs / 1000));
    this.validNsec = (validMs % 1000) * 1_000_000;
    const fd = openSync(root, O_PATH | O_DIRECTORY);
    const st = fstatSync(fd, { bigint: true });
    const rootNode: Node = {
      nodeid: FUSE_ROOT_ID,
      fd,
      key: keyOf(st),
      type: S_IFDIR,
      nlookup: 1n,
      parent: undefined,
      name: '',
    };
    this.nodes.set(FUSE_ROOT_ID, rootNode);
    this.byKey.set(rootNode.key, rootNode);
  }

  close(): void {
    for (const fd of this.files.values()) closeQuietly(fd);
    for (const n of this.nodes.values()) closeQuietly(n.fd);
    this.files.clear();
    this.nodes.clear();
    this.byKey.clear();
  }

  /** Node ids the guest holds (for tests: forgets release them). */
  get nodeCount(): number {
    return this.nodes.size;
  }

  handle(request: FuseRequest): FuseReply | undefined {
    try {
      return this.dispatch(request);
    } catch (e) {
      if (e instanceof FuseFailure) return { kind: 'error', errno: e.errno };
      const errno = hostErrno(e);
      if (errno === undefined) throw e;
      return { kind: 'error', errno };
    }
  }

  /** READ straight into guest RAM (the device's fast path): one copy, the host kernel's. */
  readInto(fh: bigint, offset: bigint, into: Uint8Array): number | FuseReply {
    try {
      return readSync(this.file(fh), into, 0, Math.min(into.length, this.maxWrite), Number(offset));
    } catch (e) {
      if (e instanceof FuseFailure) return { kind: 'error', errno: e.errno };
      const errno = hostErrno(e);
      if (errno === undefined) throw e;
      return { kind: 'error', errno };
    }
  }

  private dispatch({ header, body }: FuseRequest): FuseReply | undefined {
    const nodeid = header.nodeid;
    switch (body.op) {
      case 'init':
        return {
          kind: 'init',
          major: 7,
          minor: 31,
          maxReadahead: Math.min(body.maxReadahead, this.readAhead),
          flags: 0,
          maxBackground: 16,
          congestionThreshold: 12,
          maxWrite: this.maxWrite,
          timeGran: 1,
          maxPages: Math.ceil(this.maxWrite / 4096),
        };
      case 'destroy':
        return { kind: 'none' };
      case 'forget':
        this.forget(nodeid, body.nlookup);
        return undefined;
      case 'batch-forget':
        for (const f of body.forgets) this.forget(f.nodeid, f.nlookup);
        return undefined;
      case 'lookup':
        return { kind: 'entry', entry: this.lookup(this.dir(nodeid), body.name) };
      case 'getattr':
        return this.attrReply(this.node(nodeid));
      case 'setattr':
        return this.setattr(this.node(nodeid), body);
      case 'readlink': {
        const n = this.node(nodeid);
        if (n.type !== S_IFLNK || !n.parent) throw new FuseFailure(Errno.EINVAL);
        const target = readlinkSync(this.at(n.parent, n.name), { encoding: 'buffer' });
        this.sameInode(n, lstatSync(this.at(n.parent, n.name), { bigint: true }));
        return { kind: 'data', data: new Uint8Array(target.buffer, target.byteOffset, target.byteLength) };
      }
      case 'symlink': {
        const dir = this.writableDir(nodeid);
        symlinkSync(body.target, this.at(dir, checkName(body.name)));
        return { kind: 'entry', entry: this.lookup(dir, body.name) };
      }
      case 'mkdir': {
        const dir = this.writableDir(nodeid);
        mkdirSync(this.at(dir, checkName(body.name)), { mode: body.mode & ~body.umask & 0o7777 });
        return { kind: 'entry', entry: this.lookup(dir, body.name) };
      }
      case 'unlink': {
        const dir = this.writableDir(nodeid);
        unlinkSync(this.at(dir, checkName(body.name)));
        return { kind: 'none' };
      }
      case 'rmdir': {
        const dir = this.writableDir(nodeid);
        rmdirSync(this.at(dir, checkName(body.name)));
        return { kind: 'none' };
      }
      case 'rename': {
        const from = this.writableDir(nodeid);
        const to = this.writableDir(body.newdir);
        renameSync(this.at(from, checkName(body.oldname)), this.at(to, checkName(body.newname)));
        return { kind: 'none' };
      }
      case 'link': {
        const dir = this.writableDir(nodeid);
        const target = this.node(body.oldnodeid);
        if (target.type === S_IFDIR) throw new FuseFailure(Errno.EPERM);
        if (!target.parent) throw new FuseFailure(Errno.EPERM);
        const source = this.at(target.parent, target.name);
        // The name may have been reused meanwhile: link only the inode the guest means.
        this.sameInode(target, lstatSync(source, { bigint: true }));
        linkSync(source, this.at(dir, checkName(body.newname)));
        return { kind: 'entry', entry: this.lookup(dir, body.newname) };
      }
      case 'open': {
        const n = this.node(nodeid);
        if (n.type === S_IFDIR) throw new FuseFailure(Errno.EISDIR);
        if (n.type !== S_IFREG) throw new FuseFailure(n.type === S_IFLNK ? Errno.ELOOP : Errno.ENXIO);
        const flags = body.flags & OPEN_PASS;
        if (this.readOnly && ((flags & O_ACCMODE) !== constants.O_RDONLY || body.flags & constants.O_TRUNC))
          throw new FuseFailure(Errno.EROFS);
        // Re-opening the held inode through its magic link: no path is walked.
        const fd = openSync(`/proc/self/fd/${n.fd}`, flags | (body.flags & constants.O_TRUNC));
        const fh = this.nextFh++;
        this.files.set(fh, fd);
        return { kind: 'open', fh, openFlags: 0 };
      }
      case 'create': {
        const dir = this.writableDir(nodeid);
        const flags = (body.flags & OPEN_PASS) | constants.O_CREAT | O_NOFOLLOW | (body.flags & constants.O_EXCL);
        const fd = openSync(this.at(dir, checkName(body.name)), flags, body.mode & ~body.umask & 0o7777);
        const fh = this.nextFh++;
        this.files.set(fh, fd);
        return { kind: 'create', entry: this.lookup(dir, body.name), fh, openFlags: 0 };
      }
      case 'read': {
        const fd = this.file(body.fh);
        const size = Math.min(body.size, this.maxWrite);
        const data = new Uint8Array(size);
        const n = readSync(fd, data, 0, size, Number(body.offset));
        return { kind: 'data', data: data.subarray(0, n) };
      }
      case 'write': {
        if (this.readOnly) throw new FuseFailure(Errno.EROFS);
        const fd = this.file(body.fh);
        const n = writeSync(fd, body.data, 0, body.data.length, Number(body.offset));
        return { kind: 'write', size: n };
      }
      case 'statfs': {
        const s = statfsSync(`/proc/self/fd/${this.node(FUSE_ROOT_ID).fd}`, { bigint: true });
        return {
          kind: 'statfs',
          blocks: s.blocks,
          bfree: s.bfree,
          bavail: s.bavail,
          files: s.files,
          ffree: s.ffree,
          bsize: Number(s.bsize),
          namelen: 255,
          frsize: Number(s.bsize),
        };
      }
      case 'release': {
        const fd = this.files.get(body.fh);
        if (fd === undefined) throw new FuseFailure(Errno.EBADF);
        this.files.delete(body.fh);
        closeSync(fd);
        return { kind: 'none' };
      }
      case 'flush':
        this.file(body.fh);
        return { kind: 'none' };
      case 'fsync':
        fsyncSync(this.file(body.fh));
        return { kind: 'none' };
      case 'fsyncdir':
        this.dir(nodeid);
        return { kind: 'none' };
      case 'access':
        this.node(nodeid);
        return { kind: 'none' };
      case 'opendir': {
        const dir = this.dir(nodeid);
        const entries = readdirSync(`/proc/self/fd/${dir.fd}`, { withFileTypes: true, encoding: 'utf8' });
        const listing = entries.map((d) => ({
          name: d.name,
          ino: 0n,
          type: d.isDirectory() ? 4 : d.isFile() ? 8 : d.isSymbolicLink() ? 10 : d.isFIFO() ? 1 : d.isSocket() ? 12 : 0,
        }));
        const fh = this.nextFh++;
        this.dirs.set(fh, listing);
        return { kind: 'open', fh, openFlags: 0 };
      }
      case 'readdir':
      case 'readdirplus': {
        const dir = this.dir(nodeid);
        const listing = this.dirs.get(body.fh);
        if (!listing) throw new FuseFailure(Errno.EBADF);
        const plus = body.op === 'readdirplus';
        const dirents: FuseDirent[] = [];
        const pluses: { entry: FuseEntry; dirent: FuseDirent }[] = [];
        let used = 0;
        for (let i = Number(body.offset); i < listing.length; i++) {
          const e = listing[i]!;
          const bytes = direntBytes(e.name, plus);
          if (used + bytes > body.size) break;
          used += bytes;
          const dirent = { ino: BigInt(i + 1), off: BigInt(i + 1), type: e.type, name: e.name };
          if (!plus) dirents.push(dirent);
          else {
            try {
              pluses.push({ entry: this.lookup(dir, e.name), dirent });
            } catch (err) {
              if (hostErrno(err) !== Errno.ENOENT) throw err; // removed since the listing was taken
            }
          }
        }
        return plus ? { kind: 'direntsplus', entries: pluses } : { kind: 'dirents', entries: dirents };
      }
      case 'releasedir':
        if (!this.dirs.delete(body.fh)) throw new FuseFailure(Errno.EBADF);
        return { kind: 'none' };
    }
  }

  // ---- nodes -----------------------------------------------------------------------------------

  private node(nodeid: bigint): Node {
    const n = this.nodes.get(nodeid);
    // A node id the guest was never given (or has forgotten): virtiofsd answers EBADF too.
    if (!n) throw new FuseFailure(Errno.EBADF);
    return n;
  }

  private dir(nodeid: bigint): Node {
    const n = this.node(nodeid);
    if (n.type !== S_IFDIR) throw new FuseFailure(Errno.ENOTDIR);
    return n;
  }

  private writableDir(nodeid: bigint): Node {
    const n = this.dir(nodeid);
    if (this.readOnly) throw new FuseFailure(Errno.EROFS);
    return n;
  }

  private file(fh: bigint): number {
    const fd = this.files.get(fh);
    if (fd === undefined) throw new FuseFailure(Errno.EBADF);
    return fd;
  }

  /** `name` in directory `dir`, as a path through dir's descriptor (openat in effect). */
  private at(dir: Node, name: string): string {
    return `/proc/self/fd/${dir.fd}/${name}`;
  }

  private sameInode(n: Node, st: BigIntStats): void {
    if (keyOf(st) !== n.key) throw new FuseFailure(Errno.ESTALE);
  }

  /** LOOKUP: the entry `name` of `dir`, opened without following it; one more lookup reference. */
  private lookup(dir: Node, name: string): FuseEntry {
    checkName(name);
    const fd = openSync(this.at(dir, name), O_PATH | O_NOFOLLOW);
    let st: BigIntStats;
    try {
      st = fstatSync(fd, { bigint: true });
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    const key = keyOf(st);
    let n = this.byKey.get(key);
    if (n) closeSync(fd);
    else {
      n = { nodeid: this.nextNodeid++, fd, key, type: Number(st.mode) & S_IFMT, nlookup: 0n, parent: dir, name };
      this.nodes.set(n.nodeid, n);
      this.byKey.set(key, n);
    }
    n.nlookup++;
    if (n.nodeid !== FUSE_ROOT_ID) {
      n.parent = dir;
      n.name = name;
    }
    return {
      nodeid: n.nodeid,
      generation: 0n,
      entryValid: this.validSec,
      attrValid: this.validSec,
      entryValidNsec: this.validNsec,
      attrValidNsec: this.validNsec,
      attr: toAttr(st, n.nodeid),
    };
  }

  private forget(nodeid: bigint, nlookup: bigint): void {
    const n = this.nodes.get(nodeid);
    if (!n || nodeid === FUSE_ROOT_ID) return;
    n.nlookup -= nlookup;
    if (n.nlookup > 0n) return;
    this.nodes.delete(nodeid);
    this.byKey.delete(n.key);
    closeQuietly(n.fd);
  }

  private attrReply(n: Node): FuseReply {
    return {
      kind: 'attr',
      attrValid: this.validSec,
      attrValidNsec: this.validNsec,
      attr: toAttr(fstatSync(n.fd, { bigint: true }), n.nodeid),
    };
  }

  private setattr(n: Node, a: Extract<FuseRequest['body'], { op: 'setattr' }>): FuseReply {
    if (this.readOnly) throw new FuseFailure(Errno.EROFS);
    const path = `/proc/self/fd/${n.fd}`;
    const link = n.type === S_IFLNK;
    if (a.valid & FuseSetattrValid.MODE) {
      if (link) throw new FuseFailure(Errno.EOPNOTSUPP);
      chmodSync(path, a.mode & 0o7777);
    }
    if (a.valid & (FuseSetattrValid.UID | FuseSetattrValid.GID)) {
      const st = fstatSync(n.fd);
      const uid = a.valid & FuseSetattrValid.UID ? a.uid : st.uid;
      const gid = a.valid & FuseSetattrValid.GID ? a.gid : st.gid;
      if (link) {
        if (!n.parent) throw new FuseFailure(Errno.EPERM);
        lchownSync(this.at(n.parent, n.name), uid, gid);
      } else lchownSync(path, uid, gid);
    }
    if (a.valid & FuseSetattrValid.SIZE) {
      if (n.type === S_IFDIR) throw new FuseFailure(Errno.EISDIR);
      if (n.type !== S_IFREG) throw new FuseFailure(Errno.EINVAL);
      const fd = openSync(path, constants.O_WRONLY);
      try {
        ftruncateSync(fd, Number(a.size));
      } finally {
        closeSync(fd);
      }
    }
    const times =
      FuseSetattrValid.ATIME | FuseSetattrValid.MTIME | FuseSetattrValid.ATIME_NOW | FuseSetattrValid.MTIME_NOW;
    if (a.valid & times) {
      const st = fstatSync(n.fd, { bigint: true });
      const now = Date.now() / 1000;
      const atime =
        a.valid & FuseSetattrValid.ATIME_NOW
          ? now
          : a.valid & FuseSetattrValid.ATIME
            ? Number(a.atime) + a.atimensec / 1e9
            : Number(st.atimeNs) / 1e9;
      const mtime =
        a.valid & FuseSetattrValid.MTIME_NOW
          ? now
          : a.valid & FuseSetattrValid.MTIME
            ? Number(a.mtime) + a.mtimensec / 1e9
            : Number(st.mtimeNs) / 1e9;
      if (link) {
        if (!n.parent) throw new FuseFailure(Errno.EPERM);
        lutimesSync(this.at(n.parent, n.name), atime, mtime);
      } else {
        const fd = openSync(path, n.type === S_IFDIR ? constants.O_RDONLY : constants.O_RDONLY | constants.O_NONBLOCK);
        try {
          futimesSync(fd, atime, mtime);
        } finally {
          closeSync(fd);
        }
      }
    }
    return this.attrReply(n);
  }
}

function keyOf(st: BigIntStats): string {
  return `${st.dev}:${st.ino}`;
}

function toAttr(st: BigIntStats, nodeid: bigint): FuseAttr {
  return {
    ino: nodeid,
    size: st.size,
    blocks: st.blocks,
    atime: st.atimeNs / 1_000_000_000n,
    mtime: st.mtimeNs / 1_000_000_000n,
    ctime: st.ctimeNs / 1_000_000_000n,
    atimensec: Number(st.atimeNs % 1_000_000_000n),
    mtimensec: Number(st.mtimeNs % 1_000_000_000n),
    ctimensec: Number(st.ctimeNs % 1_000_000_000n),
    mode: Number(st.mode),
    nlink: Number(st.nlink),
    uid: Number(st.uid),
    gid: Number(st.gid),
    rdev: Number(st.rdev),
    blksize: Number(st.blksize),
    flags: 0,
  };
}

/** One path component: not empty, ".", "..", and no "/" (the codec has refused NUL). */
function checkName(name: string): string {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0'))
    throw new FuseFailure(Errno.EINVAL);
  return name;
}

/** The Linux errno of a node:fs error (libuv reports it negated), or undefined for other errors. */
function hostErrno(e: unknown): number | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const { errno, code } = e as { errno?: unknown; code?: unknown };
  if (typeof code === 'string' && code in Errno) return Errno[code as keyof typeof Errno];
  if (typeof errno === 'number' && errno < 0) return -errno;
  return undefined;
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}
