// An open file (OSv `struct file`, BSD's file description): a vnode, the open flags and a file
// offset, shared by every descriptor dup'ed from the same open (libc keeps descriptors; this
// object is what they point at, with a reference count so the last close releases the vnode).
import type { WaitQueue } from '@osv-ts/core-sched';
import { Errno, KernelError } from '@osv-ts/kernel-api';
import type { DirEntry, IoContext } from './file-system.js';
import {
  O_ACCMODE,
  O_APPEND,
  O_NONBLOCK,
  O_PATH,
  O_RDONLY,
  O_RDWR,
  O_SETFL_MASK,
  O_WRONLY,
  POLLIN,
  POLLOUT,
  SEEK_CUR,
  SEEK_END,
  SEEK_SET,
  UTIME_NOW,
} from './open-flags.js';
import type { Stat } from './stat.js';
import type { Vfs } from './vfs.js';
import type { Vnode } from './vnode.js';
import { VType } from './vtype.js';

const MAX_OFFSET = Number.MAX_SAFE_INTEGER;

export class File implements IoContext {
  /** Current file offset in bytes (unused for pipes and terminals). */
  offset = 0;
  private refs = 1;
  private closed = false;

  constructor(
    readonly vfs: Vfs,
    readonly vnode: Vnode,
    /** open(2) flags (access mode | status flags); fcntl(F_SETFL) changes O_APPEND/O_NONBLOCK. */
    private openFlags: number,
  ) {}

  get flags(): number {
    return this.openFlags;
  }

  get readable(): boolean {
    const acc = this.openFlags & O_ACCMODE;
    return (acc === O_RDONLY || acc === O_RDWR) && (this.openFlags & O_PATH) === 0;
  }

  get writable(): boolean {
    const acc = this.openFlags & O_ACCMODE;
    return (acc === O_WRONLY || acc === O_RDWR) && (this.openFlags & O_PATH) === 0;
  }

  get nonBlocking(): boolean {
    return (this.openFlags & O_NONBLOCK) !== 0;
  }

  get blocker() {
    return this.vfs.blocker;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** fcntl(F_SETFL): only O_APPEND and O_NONBLOCK change. */
  setStatusFlags(flags: number): void {
    this.openFlags = (this.openFlags & ~O_SETFL_MASK) | (flags & O_SETFL_MASK);
  }

  /** Another descriptor now refers to this open file (dup). */
  retain(): this {
    this.check();
    this.refs++;
    return this;
  }

  /** Drops one reference; the last one closes the file and releases its vnode. */
  close(): void {
    this.check();
    if (--this.refs > 0) return;
    this.closed = true;
    // An O_PATH open never called the file system's open, so it does not close either.
    // A file system may report an error at close (a deferred write's); the vnode is let go anyway.
    try {
      if ((this.openFlags & O_PATH) === 0) this.vnode.ops.close?.(this.vnode, this.openFlags);
    } finally {
      this.vfs.vrele(this.vnode);
    }
  }

  read(into: Uint8Array): number {
    const n = this.readAt(into, this.offset);
    if (this.positioned()) this.offset += n;
    return n;
  }

  pread(into: Uint8Array, positionBytes: number): number {
    this.checkPosition(positionBytes);
    if (!this.positioned()) throw new KernelError(Errno.ESPIPE);
    return this.readAt(into, positionBytes);
  }

  write(data: Uint8Array): number {
    this.checkWritable();
    const v = this.vnode;
    const locked = this.lockFor(v);
    try {
      // Whether the file has an offset: asked once per write (it cannot change during one).
      const positioned = this.positioned();
      // POSIX write(2): with O_APPEND the offset moves to the end before each write, atomically
      // with the write (here: under the vnode lock).
      if ((this.openFlags & O_APPEND) !== 0 && positioned) this.offset = v.size;
      const n = this.doWrite(data, this.offset);
      if (positioned) this.offset += n;
      return n;
    } finally {
      if (locked) v.lock.release();
    }
  }

  pwrite(data: Uint8Array, positionBytes: number): number {
    this.checkPosition(positionBytes);
    this.checkWritable();
    if (!this.positioned()) throw new KernelError(Errno.ESPIPE);
    const v = this.vnode;
    const locked = this.lockFor(v);
    try {
      // Linux pwrite(2) BUGS: with O_APPEND the data is appended regardless of the position.
      const at = (this.openFlags & O_APPEND) !== 0 ? v.size : positionBytes;
      return this.doWrite(data, at);
    } finally {
      if (locked) v.lock.release();
    }
  }

  /** lseek(2); returns the new offset. */
  seek(offset: number, whence: number): number {
    this.check();
    if (!this.seekable()) throw new KernelError(Errno.ESPIPE);
    let base: number;
    if (whence === SEEK_SET) base = 0;
    else if (whence === SEEK_CUR) base = this.offset;
    else if (whence === SEEK_END) {
      this.vnode.ops.getattr?.(this.vnode);
      base = this.vnode.size;
    } else throw new KernelError(Errno.EINVAL, `whence ${whence}`);
    const pos = base + offset;
    if (!Number.isSafeInteger(pos) || pos < 0) throw new KernelError(Errno.EINVAL, `offset ${pos}`);
    this.offset = pos;
    return pos;
  }

  /** ftruncate(2). */
  truncate(sizeBytes: number): void {
    this.check();
    if (!this.writable) throw new KernelError(Errno.EINVAL, 'file not open for writing');
    this.vfs.truncateVnode(this.vnode, sizeBytes);
  }

  /**
   * posix_fallocate(3) / WASI fd_allocate: makes sure [offset, offset + length) is inside the
   * file, extending it (with zeros) when it is not. ramfs allocates lazily, so this only sets the size.
   */
  allocate(offsetBytes: number, lengthBytes: number): void {
    this.check();
    if (
      !Number.isSafeInteger(offsetBytes) ||
      !Number.isSafeInteger(lengthBytes) ||
      offsetBytes < 0 ||
      lengthBytes <= 0
    ) {
      throw new KernelError(Errno.EINVAL);
    }
    if (!this.writable) throw new KernelError(Errno.EBADF);
    if (this.vnode.type !== VType.VREG)
      throw new KernelError(this.vnode.type === VType.VFIFO ? Errno.ESPIPE : Errno.ENODEV);
    const end = offsetBytes + lengthBytes;
    if (end > MAX_OFFSET) throw new KernelError(Errno.EFBIG);
    if (end > this.vnode.size) this.vfs.truncateVnode(this.vnode, end);
  }

  fsync(): void {
    this.check();
    const v = this.vnode;
    v.lock.acquire(this.vfs.blocker, this.vfs.owner());
    try {
      v.ops.fsync?.(v);
    } finally {
      v.lock.release();
    }
  }

  stat(): Stat {
    this.check();
    return this.vnode.stat();
  }

  /** The file's whole content without a copy, where its file system has it so (VnodeOps.contentView). */
  contentView(): Uint8Array | undefined {
    this.check();
    return this.vnode.ops.contentView?.(this.vnode);
  }

  /** futimens(2): UTIME_NOW / UTIME_OMIT as in utimensat. */
  utimens(atimeNs: bigint = UTIME_NOW, mtimeNs: bigint = UTIME_NOW): void {
    this.check();
    this.vfs.utimensVnode(this.vnode, atimeNs, mtimeNs);
  }

  chmod(perm: number): void {
    this.check();
    this.vfs.chmodVnode(this.vnode, perm);
  }

  /**
   * The directory entry at or after `cookie` (0 = start), or null at the end. The listing
   * begins with "." (cookie 0) and ".." (cookie 1); each entry's `next` continues after it.
   */
  readdir(cookie: number): DirEntry | null {
    this.check();
    if (this.vnode.type !== VType.VDIR) throw new KernelError(Errno.ENOTDIR);
    if ((this.openFlags & O_PATH) !== 0) throw new KernelError(Errno.EBADF);
    return this.vfs.readdirVnode(this.vnode, cookie);
  }

  /** poll(2) readiness for `events` (POLLIN | POLLOUT): regular files are always ready. */
  poll(events: number): number {
    if (this.closed) return 0;
    const ops = this.vnode.ops;
    if (ops.poll) return ops.poll(this.vnode, events);
    return events & (POLLIN | POLLOUT);
  }

  /** Woken when `poll()`'s answer may have changed (for threads parked in poll_oneoff); undefined when the file is always ready. */
  get readiness(): WaitQueue | undefined {
    return this.vnode.ops.readiness?.(this.vnode);
  }

  /** False for pipes and terminals (lseek gives ESPIPE). */
  seekable(): boolean {
    const v = this.vnode;
    if (v.type === VType.VFIFO || v.type === VType.VSOCK) return false;
    return v.ops.seekable?.(v) ?? true;
  }

  /** isatty(3). */
  isTerminal(): boolean {
    return this.vnode.ops.isTerminal?.(this.vnode) ?? false;
  }

  /**
   * Takes the vnode lock for I/O on a regular file. Streams (pipes, devices) are not locked:
   * their reads wait for writers on the same vnode (Linux drops the pipe mutex while waiting
   * for the same reason), and their own state changes are atomic between scheduling points.
   */
  private lockFor(v: Vnode): boolean {
    if (v.type !== VType.VREG) return false;
    v.lock.acquire(this.vfs.blocker, this.vfs.owner());
    return true;
  }

  private positioned(): boolean {
    return this.seekable();
  }

  private readAt(into: Uint8Array, position: number): number {
    this.check();
    if (!this.readable) throw new KernelError(Errno.EBADF, 'file not open for reading');
    const v = this.vnode;
    if (v.type === VType.VDIR) throw new KernelError(Errno.EISDIR);
    if (into.length === 0) return 0;
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called with .call(ops) below, after the presence check
    const read = v.ops.read;
    if (!read) throw new KernelError(Errno.EINVAL);
    const locked = this.lockFor(v);
    try {
      return read.call(v.ops, v, position, into, this);
    } finally {
      if (locked) v.lock.release();
    }
  }

  private doWrite(data: Uint8Array, position: number): number {
    const v = this.vnode;
    if (data.length === 0) return 0;
    if (position + data.length > MAX_OFFSET) throw new KernelError(Errno.EFBIG);
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called with .call(ops) below, after the presence check
    const write = v.ops.write;
    if (!write) throw new KernelError(Errno.EINVAL);
    if (v.mount.readOnly && v.type === VType.VREG) throw new KernelError(Errno.EROFS);
    return write.call(v.ops, v, position, data, this);
  }

  private checkWritable(): void {
    this.check();
    if (!this.writable) throw new KernelError(Errno.EBADF, 'file not open for writing');
  }

  private checkPosition(position: number): void {
    if (!Number.isSafeInteger(position) || position < 0) throw new KernelError(Errno.EINVAL, `position ${position}`);
  }

  private check(): void {
    if (this.closed) throw new KernelError(Errno.EBADF, 'file is closed');
  }
}
