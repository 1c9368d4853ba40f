// Anonymous pipes (pipe(2)) as FIFO vnodes on an internal, unattached mount, so fstat reports
// S_IFIFO with an inode number and poll/read/write go through the same vnode operations as
// every other file. Semantics (POSIX/Linux pipe(7)): reads return what is buffered, block while
// empty and a writer is open, and return 0 (EOF) when no writer remains; writes block while
// the buffer is full and fail with EPIPE when no reader remains; O_NONBLOCK turns waiting into
// EAGAIN. Writes of at most PIPE_BUF (4096) bytes are atomic.
import { WaitQueue } from '@osv-ts/core-sched';
import { Errno, KernelError } from '@osv-ts/kernel-api';
import type { DirEntry, FileSystem, IoContext, VnodeOps } from '../../file-system.js';
import type { Mount } from '../../mount.js';
import { O_ACCMODE, O_RDONLY, O_RDWR, O_WRONLY, POLLHUP, POLLIN, POLLOUT, POLLERR } from '../../open-flags.js';
import { Vnode } from '../../vnode.js';
import { VType } from '../../vtype.js';

export const PIPE_BUF = 4096;

class PipeBuffer {
  readonly buf: Uint8Array;
  head = 0;
  length = 0;
  readers = 0;
  writers = 0;
  /** Woken whenever readiness may have changed (data in, space freed, an end closed). */
  readonly readiness = new WaitQueue('pipe');
  constructor(capacity: number) {
    this.buf = new Uint8Array(capacity);
  }
  get space(): number {
    return this.buf.length - this.length;
  }
  take(into: Uint8Array): number {
    const n = Math.min(into.length, this.length);
    const cap = this.buf.length;
    const first = Math.min(n, cap - this.head);
    into.set(this.buf.subarray(this.head, this.head + first), 0);
    if (n > first) into.set(this.buf.subarray(0, n - first), first);
    this.head = (this.head + n) % cap;
    this.length -= n;
    return n;
  }
  put(data: Uint8Array): number {
    const n = Math.min(data.length, this.space);
    const cap = this.buf.length;
    const tail = (this.head + this.length) % cap;
    const first = Math.min(n, cap - tail);
    this.buf.set(data.subarray(0, first), tail);
    if (n > first) this.buf.set(data.subarray(first, n), 0);
    this.length += n;
    return n;
  }
}

function pipeOf(v: Vnode): PipeBuffer {
  return v.data as PipeBuffer;
}

const pipeOps: VnodeOps = {
  lookup: () => undefined,
  parent: (d) => d,
  readdir: (): DirEntry | null => null,
  isEmpty: () => true,
  open(v, flags) {
    const p = pipeOf(v);
    const acc = flags & O_ACCMODE;
    if (acc === O_RDONLY || acc === O_RDWR) p.readers++;
    if (acc === O_WRONLY || acc === O_RDWR) p.writers++;
  },
  close(v, flags) {
    const p = pipeOf(v);
    const acc = flags & O_ACCMODE;
    if (acc === O_RDONLY || acc === O_RDWR) p.readers--;
    if (acc === O_WRONLY || acc === O_RDWR) p.writers--;
    p.readiness.wakeAll();
  },
  read(v, _offset, into, io: IoContext) {
    const p = pipeOf(v);
    if (p.length === 0) {
      if (p.writers === 0) return 0;
      if (io.nonBlocking) throw new KernelError(Errno.EAGAIN);
      io.blocker.block(() => p.length > 0 || p.writers === 0);
      if (p.length === 0) return 0;
    }
    v.atimeNs = v.mount.nowNs();
    const n = p.take(into);
    p.readiness.wakeAll();
    return n;
  },
  write(v, _offset, data, io: IoContext) {
    const p = pipeOf(v);
    let done = 0;
    while (done < data.length) {
      if (p.readers === 0) throw new KernelError(Errno.EPIPE);
      const remaining = data.length - done;
      // pipe(7): writes of <= PIPE_BUF bytes go in whole or not at all.
      const need = remaining <= PIPE_BUF ? remaining : 1;
      if (p.space < need) {
        if (io.nonBlocking) {
          if (done > 0) return done;
          throw new KernelError(Errno.EAGAIN);
        }
        io.blocker.block(() => p.space >= need || p.readers === 0);
        continue;
      }
      done += p.put(data.subarray(done));
      p.readiness.wakeAll();
    }
    v.mtimeNs = v.ctimeNs = v.mount.nowNs();
    return done;
  },
  poll(v, events) {
    const p = pipeOf(v);
    let r = 0;
    if ((events & POLLIN) !== 0 && p.length > 0) r |= POLLIN;
    if ((events & POLLOUT) !== 0 && p.readers > 0 && p.space >= PIPE_BUF) r |= POLLOUT;
    if (p.writers === 0) r |= POLLHUP;
    if (p.readers === 0) r |= POLLERR;
    return r;
  },
  seekable: () => false,
  readiness: (v) => pipeOf(v).readiness,
};

const rootOps: VnodeOps = {
  lookup: () => undefined,
  parent: (d) => d,
  readdir: () => null,
  isEmpty: () => true,
};

export class PipeFs implements FileSystem {
  readonly type = 'pipefs';
  readonly readOnly = false;
  private nextIno = 2;

  constructor(private readonly capacityBytes: number) {}

  mount(mount: Mount): Vnode {
    const root = new Vnode(mount, 1, VType.VDIR, rootOps, undefined, 0o700);
    root.stampAll(mount.nowNs());
    return root;
  }

  createPipe(mount: Mount): Vnode {
    const ino = this.nextIno++;
    const v = mount.vnodes.get(
      ino,
      () => new Vnode(mount, ino, VType.VFIFO, pipeOps, new PipeBuffer(this.capacityBytes), 0o600),
    );
    v.stampAll(mount.nowNs());
    // Not linked anywhere: when both ends close the VFS releases it (nlink 0, refcount 0).
    v.nlink = 0;
    return v;
  }
}
