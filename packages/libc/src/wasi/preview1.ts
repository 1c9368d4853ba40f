// The wasi_snapshot_preview1 binding: each function the app imports is a plain method call on
// the vCPU's stack (docs/architecture.md §1: a system call is a function call, never a message).
// Arguments from the app are untrusted: every pointer goes through AppMemory (EFAULT), every
// fd through the FdTable (EBADF), and kernel errors become WASI errno values.
import { Errno, KernelError } from '@osv-ts/kernel-api';
import type { Tracepoint } from '@osv-ts/core-sched';
import type { FileKind, OpenFile } from '../fd/open-file.js';
import { ProcessExit, type Process } from '../process.js';
import { AppMemory } from './app-memory.js';
import {
  ClockId,
  FdFlags,
  Filetype,
  PREVIEW1_FUNCTIONS,
  Rights,
  Whence,
  type Preview1Function,
} from './preview1-types.js';
import { WasiErrno, toWasiErrno } from './wasi-errno.js';
import { NotCapableError, rightsFromAbi } from './wasi-rights.js';

type WasiFn = (...args: never[]) => number | void;

/** Extension point: another module (the fs or socket binding) supplies these functions. */
export type Preview1Extension = Partial<Record<Preview1Function, (this: WasiPreview1, ...args: never[]) => number>>;

const encoder = new TextEncoder();
const { FD_READ, FD_WRITE, FD_SEEK, FD_TELL } = Rights;
const PREAD = FD_READ | FD_SEEK;
const PWRITE = FD_WRITE | FD_SEEK;

/**
 * The errno of a byte-stream call the fd may not make: EBADF for a directory (wasmtime) or a
 * file whose open mode forbids it (POSIX), ENOTCAPABLE for a missing right (witx).
 */
function refusal(file: OpenFile, modeAllows: boolean): number {
  return file.kind === 'directory' || !modeAllows ? WasiErrno.BADF : WasiErrno.NOTCAPABLE;
}

/** The witx `filetype` of each kind of open file. */
export const FILETYPE_OF_KIND: Readonly<Record<FileKind, number>> = {
  unknown: Filetype.UNKNOWN,
  'block-device': Filetype.BLOCK_DEVICE,
  'character-device': Filetype.CHARACTER_DEVICE,
  directory: Filetype.DIRECTORY,
  'regular-file': Filetype.REGULAR_FILE,
  'socket-dgram': Filetype.SOCKET_DGRAM,
  'socket-stream': Filetype.SOCKET_STREAM,
  'symbolic-link': Filetype.SYMBOLIC_LINK,
  fifo: Filetype.UNKNOWN,
};

/** An i64 argument the app means as a u64 (a file offset): only a negative one is re-made. */
function u64Arg(value: bigint): bigint {
  return value >= 0n ? value : BigInt.asUintN(64, value);
}

export class WasiPreview1 {
  readonly memory = new AppMemory();
  private readonly extensions: Preview1Extension[] = [];
  /** Calls per function, for `osv run -V` and benchmarks. */
  readonly callCounts = new Map<string, number>();

  private readonly tpCall: Tracepoint<readonly ['str', 'i32']> | undefined;

  constructor(readonly process: Process) {
    this.tpCall = process.tracer?.tracepoint('wasi_call', '%s -> errno %d', ['str', 'i32']);
  }

  private readonly errorMappers: ((e: unknown) => number | undefined)[] = [
    (e) => (e instanceof NotCapableError ? WasiErrno.NOTCAPABLE : undefined),
  ];

  /**
   * Adds functions implemented elsewhere (file system, sockets); later extensions win.
   * `mapError` turns the extension's own exceptions into WASI errno values.
   */
  extend(extension: Preview1Extension, mapError?: (e: unknown) => number | undefined): void {
    this.extensions.push(extension);
    if (mapError) this.errorMappers.unshift(mapError);
  }

  /** The import object's `wasi_snapshot_preview1` namespace. */
  imports(): Record<Preview1Function, WasiFn> {
    const out = {} as Record<Preview1Function, WasiFn>;
    for (const name of PREVIEW1_FUNCTIONS) {
      let impl: ((...args: never[]) => number) | undefined;
      for (const ext of this.extensions) if (ext[name]) impl = ext[name].bind<(...args: never[]) => number>(this);
      impl ??= ((this as unknown as Record<string, unknown>)[name] as ((...args: never[]) => number) | undefined)?.bind<
        (...args: never[]) => number
      >(this);
      out[name] = this.guard(name, impl ?? (() => WasiErrno.NOSYS));
    }
    return out;
  }

  /** Turns kernel exceptions into errno results; lets ProcessExit unwind the app. */
  private guard(name: string, fn: (...args: never[]) => number): WasiFn {
    const tp = this.tpCall;
    const mappers = this.errorMappers;
    const errnoOf = (e: unknown): number => {
      // Extensions map their own errors first (ENOTCAPABLE has no Linux errno, and a sandbox
      // escape is a KernelError(EXDEV) inside the VFS).
      for (const map of mappers) {
        const errno = map(e);
        if (errno !== undefined) return errno;
      }
      if (e instanceof KernelError) return toWasiErrno(e.errno);
      throw e;
    };
    // A call that threw: its errno, traced; ProcessExit (proc_exit) passes through, traced too.
    const fail = (err: unknown): number => {
      let errno = 0;
      try {
        errno = errnoOf(err);
      } finally {
        if (tp?.enabled) tp.emit(name, errno);
      }
      return errno;
    };
    // Every call's end is a preemption point: interrupts that came while the app ran (a frame
    // for the management API, a timer's device) are delivered there, so kernel threads get the
    // vCPU from an app that computes between system calls, not only from one that waits.
    const sched = this.process.sched;
    const ok =
      tp === undefined
        ? (errno: number): number => {
            sched.preemptionPoint();
            return errno;
          }
        : (errno: number): number => {
            if (tp.enabled) tp.emit(name, errno);
            sched.preemptionPoint();
            return errno;
          };
    // The wrapper declares exactly the implementation's parameters (preview1 functions take at
    // most 9): no rest array or spread per system call (either costs more than clock_time_get
    // itself), and V8 links the import as an arity-matching call.
    type U = unknown;
    const f = fn as (a?: U, b?: U, c?: U, d?: U, e?: U, g?: U, h?: U, i?: U, j?: U) => number;
    switch (fn.length) {
      case 0:
        return () => {
          let r: number;
          try {
            r = f();
          } catch (err) {
            return fail(err);
          }
          return ok(r);
        };
      case 1:
        return (a: U) => {
          let r: number;
          try {
            r = f(a);
          } catch (err) {
            return fail(err);
          }
          return ok(r);
        };
      case 2:
        return (a: U, b: U) => {
          let r: number;
          try {
            r = f(a, b);
          } catch (err) {
            return fail(err);
          }
          return ok(r);
        };
      case 3:
        return (a: U, b: U, c: U) => {
          let r: number;
          try {
            r = f(a, b, c);
          } catch (err) {
            return fail(err);
          }
          return ok(r);
        };
      case 4:
        return (a: U, b: U, c: U, d: U) => {
          let r: number;
          try {
            r = f(a, b, c, d);
          } catch (err) {
            return fail(err);
          }
          return ok(r);
        };
      case 5:
        return (a: U, b: U, c: U, d: U, e: U) => {
          let r: number;
          try {
            r = f(a, b, c, d, e);
          } catch (err) {
            return fail(err);
          }
          return ok(r);
        };
      default:
        return (a?: U, b?: U, c?: U, d?: U, e?: U, g?: U, h?: U, i?: U, j?: U) => {
          let r: number;
          try {
            r = f(a, b, c, d, e, g, h, i, j);
          } catch (err) {
            return fail(err);
          }
          return ok(r);
        };
    }
  }

  // --- args and environment -------------------------------------------------------------

  /** The app's KEY=VALUE environment (libc's Process, not the host's). */
  private appEnv(): readonly string[] {
    const { env } = this.process;
    return env;
  }

  args_sizes_get(argcPtr: number, bufSizePtr: number): number {
    return this.sizes(this.process.args, argcPtr, bufSizePtr);
  }

  args_get(argvPtr: number, bufPtr: number): number {
    return this.strings(this.process.args, argvPtr, bufPtr);
  }

  environ_sizes_get(countPtr: number, bufSizePtr: number): number {
    return this.sizes(this.appEnv(), countPtr, bufSizePtr);
  }

  environ_get(environPtr: number, bufPtr: number): number {
    return this.strings(this.appEnv(), environPtr, bufPtr);
  }

  private sizes(list: readonly string[], countPtr: number, bufSizePtr: number): number {
    this.memory.setU32(countPtr, list.length);
    this.memory.setU32(
      bufSizePtr,
      list.reduce((n, s) => n + encoder.encode(s).length + 1, 0),
    );
    return WasiErrno.SUCCESS;
  }

  private strings(list: readonly string[], ptrs: number, buf: number): number {
    let at = buf >>> 0;
    list.forEach((s, i) => {
      const bytes = encoder.encode(s);
      this.memory.setU32(ptrs + 4 * i, at);
      this.memory.bytes(at, bytes.length + 1).set(bytes);
      this.memory.setU8(at + bytes.length, 0);
      at += bytes.length + 1;
    });
    return WasiErrno.SUCCESS;
  }

  // --- clocks, randomness, scheduling, exit ---------------------------------------------

  clock_res_get(id: number, resultPtr: number): number {
    if (id < 0 || id > 3) return WasiErrno.INVAL;
    this.memory.setU64(resultPtr, BigInt(this.process.clock.resolutionNs));
    return WasiErrno.SUCCESS;
  }

  clock_time_get(id: number, _precision: bigint, resultPtr: number): number {
    // Monotonic and CPU time are Numbers (exact to the nanosecond for 2^53 ns): stored as two
    // u32 halves, no BigInt per call. Only CLOCK_REALTIME (past 2^53 ns) is a BigInt.
    const clock = this.process.clock;
    if (id === ClockId.MONOTONIC) this.memory.setU64Number(resultPtr, clock.monotonicNs());
    else if (id === ClockId.REALTIME) this.memory.setU64(resultPtr, clock.realtimeNs());
    else if (id === ClockId.PROCESS_CPUTIME_ID || id === ClockId.THREAD_CPUTIME_ID)
      this.memory.setU64Number(resultPtr, clock.monotonicNs() - this.process.startNs);
    else return WasiErrno.INVAL;
    return WasiErrno.SUCCESS;
  }

  private now(id: number): bigint {
    const clock = this.process.clock;
    switch (id) {
      case ClockId.REALTIME:
        return clock.realtimeNs();
      case ClockId.MONOTONIC:
        return BigInt(clock.monotonicNs());
      case ClockId.PROCESS_CPUTIME_ID:
      case ClockId.THREAD_CPUTIME_ID:
        // One app thread on one vCPU: its CPU time is the time since it started.
        return BigInt(clock.monotonicNs() - this.process.startNs);
      default:
        throw new KernelError(Errno.EINVAL, `clock id ${id}`);
    }
  }

  random_get(bufPtr: number, len: number): number {
    const buf = this.memory.bytes(bufPtr, len);
    // getRandomValues-style sources refuse large requests; fill in chunks.
    for (let off = 0; off < buf.length; off += 65536)
      this.process.entropy.fill(buf.subarray(off, Math.min(buf.length, off + 65536)));
    return WasiErrno.SUCCESS;
  }

  sched_yield(): number {
    this.process.sched.runOnce();
    return WasiErrno.SUCCESS;
  }

  proc_exit(status: number): never {
    throw new ProcessExit(status >>> 0);
  }

  proc_raise(_sig: number): number {
    return WasiErrno.NOSYS;
  }

  // Sockets come with the network stack's module (which extends these); until one is linked,
  // they are not supported rather than unknown.
  sock_accept(): number {
    return WasiErrno.NOTSUP;
  }

  sock_recv(): number {
    return WasiErrno.NOTSUP;
  }

  sock_send(): number {
    return WasiErrno.NOTSUP;
  }

  sock_shutdown(): number {
    return WasiErrno.NOTSUP;
  }

  // --- descriptors -----------------------------------------------------------------------
  //
  // Each call checks, in this order, as wasmtime does and then as witx requires:
  //  1. the fd exists (EBADF);
  //  2. the fd's kind and open mode allow the call: a directory refuses the byte-stream calls
  //     (read/write/pread/pwrite/seek/tell/sync/datasync/advise/allocate/fdstat_set_flags/
  //     filestat_set_size) with EBADF, as wasmtime does (Linux would give EISDIR, or succeed),
  //     and a file not opened for reading or writing refuses fd_read/fd_write with EBADF (POSIX);
  //  3. the fd holds the call's right (witx `rights`): else ENOTCAPABLE. Rights are a 30-bit
  //     number on the FdEntry, so this is one integer AND.
  // A directory never holds a byte-stream right (wasi-rights.ts), so on the hot path the rights
  // test and the open-mode test (a getter the call needed before rights existed) are all that
  // runs; refusal() sorts out which errno a failed call gets.

  fd_write(fd: number, iovsPtr: number, iovsLen: number, nwrittenPtr: number): number {
    const entry = this.process.fds.get(fd);
    const file = entry.description.file;
    if ((entry.rightsBase & FD_WRITE) === 0 || !file.writable) return refusal(file, file.writable);
    const n = file.write(this.memory.iovecs(iovsPtr, iovsLen));
    this.memory.setU32(nwrittenPtr, n);
    return WasiErrno.SUCCESS;
  }

  fd_read(fd: number, iovsPtr: number, iovsLen: number, nreadPtr: number): number {
    const entry = this.process.fds.get(fd);
    const file = entry.description.file;
    if ((entry.rightsBase & FD_READ) === 0 || !file.readable) return refusal(file, file.readable);
    const n = file.read(this.memory.iovecs(iovsPtr, iovsLen));
    this.memory.setU32(nreadPtr, n);
    return WasiErrno.SUCCESS;
  }

  fd_pread(fd: number, iovsPtr: number, iovsLen: number, offset: bigint, nreadPtr: number): number {
    const entry = this.process.fds.get(fd);
    const file = entry.description.file;
    // witx: fd_read "if rights::fd_seek is set, includes the right to invoke fd_pread".
    if ((entry.rightsBase & PREAD) !== PREAD || !file.readable) return refusal(file, file.readable);
    if (!file.pread) return WasiErrno.SPIPE;
    this.memory.setU32(nreadPtr, file.pread(this.memory.iovecs(iovsPtr, iovsLen), u64Arg(offset)));
    return WasiErrno.SUCCESS;
  }

  fd_pwrite(fd: number, iovsPtr: number, iovsLen: number, offset: bigint, nwrittenPtr: number): number {
    const entry = this.process.fds.get(fd);
    const file = entry.description.file;
    if ((entry.rightsBase & PWRITE) !== PWRITE || !file.writable) return refusal(file, file.writable);
    if (!file.pwrite) return WasiErrno.SPIPE;
    this.memory.setU32(nwrittenPtr, file.pwrite(this.memory.iovecs(iovsPtr, iovsLen), u64Arg(offset)));
    return WasiErrno.SUCCESS;
  }

  fd_seek(fd: number, offset: bigint, whence: number, newOffsetPtr: number): number {
    const entry = this.process.fds.get(fd);
    const file = entry.description.file;
    if (whence !== Whence.SET && whence !== Whence.CUR && whence !== Whence.END) return WasiErrno.INVAL;
    // witx: fd_seek needs FD_SEEK, except `cur, 0` (the offset unaltered), which FD_TELL allows.
    const rights = entry.rightsBase;
    if ((rights & FD_SEEK) === 0 && ((rights & FD_TELL) === 0 || whence !== Whence.CUR || offset !== 0n))
      return refusal(file, true);
    if (!file.seek) return WasiErrno.SPIPE;
    this.memory.setU64(newOffsetPtr, file.seek(offset, whence));
    return WasiErrno.SUCCESS;
  }

  fd_tell(fd: number, offsetPtr: number): number {
    const entry = this.process.fds.get(fd);
    const file = entry.description.file;
    // witx: FD_TELL, or FD_SEEK, which "implies rights::fd_tell".
    if ((entry.rightsBase & (FD_SEEK | FD_TELL)) === 0) return refusal(file, true);
    if (!file.seek) return WasiErrno.SPIPE;
    this.memory.setU64(offsetPtr, file.seek(0n, Whence.CUR));
    return WasiErrno.SUCCESS;
  }

  fd_close(fd: number): number {
    this.process.fds.close(fd);
    return WasiErrno.SUCCESS;
  }

  fd_sync(fd: number): number {
    const file = this.byteStream(fd, Rights.FD_SYNC);
    file.sync?.();
    return WasiErrno.SUCCESS;
  }

  fd_datasync(fd: number): number {
    const file = this.byteStream(fd, Rights.FD_DATASYNC);
    (file.datasync ?? file.sync)?.call(file);
    return WasiErrno.SUCCESS;
  }

  fd_renumber(from: number, to: number): number {
    this.process.fds.renumber(from, to);
    return WasiErrno.SUCCESS;
  }

  fd_fdstat_get(fd: number, statPtr: number): number {
    const entry = this.process.fds.get(fd);
    const file = entry.description.file;
    let rightsBase = entry.rightsBase;
    if (file.kind === 'character-device' && file.isTerminal) rightsBase &= ~(Rights.FD_SEEK | Rights.FD_TELL);
    const view = this.memory.view(statPtr, 24);
    view.setUint8(statPtr, this.filetype(file));
    view.setUint16(statPtr + 2, this.fdflags(file.statusFlags), true);
    // Rights are 30-bit Numbers: the high halves of the two u64s are 0 (no BigInt per call;
    // wasi-libc's open() asks for the directory's fdstat every time).
    view.setUint32(statPtr + 8, rightsBase, true);
    view.setUint32(statPtr + 12, 0, true);
    view.setUint32(statPtr + 16, entry.rightsInheriting, true);
    view.setUint32(statPtr + 20, 0, true);
    return WasiErrno.SUCCESS;
  }

  fd_fdstat_set_flags(fd: number, flags: number): number {
    const file = this.byteStream(fd, Rights.FD_FDSTAT_SET_FLAGS);
    let s = file.statusFlags & ~(0o2000 | 0o4000 | 0o4010000);
    if (flags & FdFlags.APPEND) s |= 0o2000;
    if (flags & FdFlags.NONBLOCK) s |= 0o4000;
    if (flags & (FdFlags.SYNC | FdFlags.RSYNC | FdFlags.DSYNC)) s |= 0o4010000;
    file.statusFlags = s;
    return WasiErrno.SUCCESS;
  }

  fd_fdstat_set_rights(fd: number, base: bigint, inheriting: bigint): number {
    const entry = this.process.fds.get(fd);
    const b = rightsFromAbi(base);
    const i = rightsFromAbi(inheriting);
    // Rights may only shrink (witx fd_fdstat_set_rights: "returns errno::notcapable if called
    // in a way that would attempt to add rights"). Wasmtime no longer has rights (ENOTSUP).
    if (b === undefined || i === undefined || (b & ~entry.rightsBase) !== 0 || (i & ~entry.rightsInheriting) !== 0)
      return WasiErrno.NOTCAPABLE;
    entry.rightsBase = b;
    entry.rightsInheriting = i;
    return WasiErrno.SUCCESS;
  }

  fd_filestat_get(fd: number, bufPtr: number): number {
    const entry = this.process.fds.get(fd);
    if ((entry.rightsBase & Rights.FD_FILESTAT_GET) === 0) return WasiErrno.NOTCAPABLE;
    this.writeFilestat(bufPtr, entry.description.file.stat());
    return WasiErrno.SUCCESS;
  }

  fd_filestat_set_size(fd: number, size: bigint): number {
    const file = this.byteStream(fd, Rights.FD_FILESTAT_SET_SIZE);
    if (!file.truncate) return WasiErrno.INVAL;
    file.truncate(size);
    return WasiErrno.SUCCESS;
  }

  fd_advise(fd: number, _offset: bigint, _len: bigint, advice: number): number {
    if (advice < 0 || advice > 5) return WasiErrno.INVAL;
    this.byteStream(fd, Rights.FD_ADVISE);
    return WasiErrno.SUCCESS;
  }

  /**
   * The file behind `fd` for a call that acts on a file's bytes and needs `right`: a directory
   * is EBADF (as in wasmtime), a missing right ENOTCAPABLE.
   */
  private byteStream(fd: number, right: number): OpenFile {
    const entry = this.process.fds.get(fd);
    const file = entry.description.file;
    if (file.kind === 'directory') throw new KernelError(Errno.EBADF, `fd ${fd} is a directory`);
    if ((entry.rightsBase & right) === 0) throw new NotCapableError(`fd ${fd} lacks the right`);
    return file;
  }

  fd_prestat_get(fd: number, _bufPtr: number): number {
    const entry = this.process.fds.get(fd);
    if (entry.preopenPath === undefined) return WasiErrno.BADF;
    return WasiErrno.NOSYS;
  }

  /** Serializes `filestat` (witx: dev u64, ino u64, filetype u8, nlink u64, size u64, atim, mtim, ctim). */
  writeFilestat(ptr: number, st: ReturnType<OpenFile['stat']>): void {
    const v = this.memory.view(ptr, 64);
    v.setBigUint64(ptr, st.dev, true);
    v.setBigUint64(ptr + 8, st.ino, true);
    v.setUint8(ptr + 16, FILETYPE_OF_KIND[st.kind]);
    for (let i = 17; i < 24; i++) v.setUint8(ptr + i, 0);
    v.setBigUint64(ptr + 24, st.nlink, true);
    v.setBigUint64(ptr + 32, st.size, true);
    v.setBigUint64(ptr + 40, st.atimeNs, true);
    v.setBigUint64(ptr + 48, st.mtimeNs, true);
    v.setBigUint64(ptr + 56, st.ctimeNs, true);
  }

  filetype(file: OpenFile): number {
    return FILETYPE_OF_KIND[file.kind];
  }

  private fdflags(statusFlags: number): number {
    let f = 0;
    if (statusFlags & 0o2000) f |= FdFlags.APPEND;
    if (statusFlags & 0o4000) f |= FdFlags.NONBLOCK;
    if ((statusFlags & 0o4010000) === 0o4010000) f |= FdFlags.SYNC;
    else if (statusFlags & 0o10000) f |= FdFlags.DSYNC;
    return f;
  }

  // --- poll_oneoff ------------------------------------------------------------------------

  /**
   * Waits for the first of: clock deadlines, fds readable/writable. Blocks the app thread in
   * the scheduler (kernel threads and interrupts keep running; the vCPU idles in Atomics.wait).
   */
  poll_oneoff(inPtr: number, outPtr: number, nsubscriptions: number, neventsPtr: number): number {
    const n = nsubscriptions >>> 0;
    if (n === 0) return WasiErrno.INVAL;
    const m = this.memory;
    m.check(inPtr >>> 0, n * 48);
    m.check(outPtr >>> 0, n * 32);
    interface Sub {
      userdata: bigint;
      tag: number;
      fd: number;
      deadlineNs: number;
      error: number;
    }
    const subs: Sub[] = [];
    const nowNs = this.process.clock.monotonicNs();
    let earliest: number | undefined;
    for (let i = 0; i < n; i++) {
      const at = (inPtr >>> 0) + 48 * i;
      const v = m.view(at, 48);
      const sub: Sub = {
        userdata: v.getBigUint64(at, true),
        tag: v.getUint8(at + 8),
        fd: -1,
        deadlineNs: Infinity,
        error: WasiErrno.SUCCESS,
      };
      if (sub.tag === 0) {
        const id = v.getUint32(at + 16, true);
        const timeout = v.getBigUint64(at + 24, true);
        const abstime = (v.getUint16(at + 40, true) & 1) !== 0;
        if (id > 3) sub.error = WasiErrno.INVAL;
        else {
          const rel = abstime ? Number(timeout - this.now(id)) : Number(timeout);
          sub.deadlineNs = nowNs + Math.max(0, rel);
          earliest = earliest === undefined ? sub.deadlineNs : Math.min(earliest, sub.deadlineNs);
        }
      } else if (sub.tag === 1 || sub.tag === 2) {
        sub.fd = v.getUint32(at + 16, true);
        if (!this.process.fds.has(sub.fd)) sub.error = WasiErrno.BADF;
        // witx: subscribing to fd_read/fd_write needs POLL_FD_READWRITE (as uvwasi checks).
        else if ((this.process.fds.get(sub.fd).rightsBase & Rights.POLL_FD_READWRITE) === 0)
          sub.error = WasiErrno.NOTCAPABLE;
      } else {
        sub.error = WasiErrno.INVAL;
      }
      subs.push(sub);
    }
    const ready = (s: Sub): boolean => {
      if (s.error !== WasiErrno.SUCCESS) return true;
      if (s.tag === 0) return this.process.clock.monotonicNs() >= s.deadlineNs;
      const f = this.process.fds.file(s.fd);
      return s.tag === 1 ? (f.pollReadable?.() ?? true) : (f.pollWritable?.() ?? true);
    };
    this.process.block(() => subs.some(ready), earliest);
    let count = 0;
    for (const s of subs) {
      if (!ready(s)) continue;
      const at = (outPtr >>> 0) + 32 * count++;
      const v = m.view(at, 32);
      v.setBigUint64(at, s.userdata, true);
      v.setUint16(at + 8, s.error, true);
      v.setUint8(at + 10, s.tag);
      v.setBigUint64(at + 16, 0n, true);
      v.setUint16(at + 24, 0, true);
      if (s.tag !== 0 && s.error === WasiErrno.SUCCESS) {
        const f = this.process.fds.file(s.fd);
        const st = f.kind === 'regular-file' ? f.stat() : undefined;
        v.setBigUint64(at + 16, st ? st.size : 0n, true);
      }
    }
    m.setU32(neventsPtr, count);
    return WasiErrno.SUCCESS;
  }
}
