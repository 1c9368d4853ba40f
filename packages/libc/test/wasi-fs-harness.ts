// A WASI process over a ramfs VFS, driven through the import object exactly as a wasm app
// calls it: pointers into a real WebAssembly.Memory, i64 arguments as BigInt. The libc unit
// tests use it to state preview1 behaviours call by call.
import { HostClock, Scheduler } from '@osv-ts/core-sched';
import { O_CREAT, O_DIRECTORY, O_RDONLY, O_WRONLY, RamFs, Vfs } from '@osv-ts/vfs';
import { Process } from '../src/process.js';
import { installPreopens, wasiFsExtension, fsErrorToWasi } from '../src/wasi/preview1-fs.js';
import { WasiPreview1 } from '../src/wasi/preview1.js';
import { Rights } from '../src/wasi/preview1-types.js';

type ImportFn = (...args: (number | bigint)[]) => number;

// Scratch layout in the app's memory.
const IOVEC = 64; // one iovec: { ptr, len }
const RESULT = 128; // u32/u64 results, fdstat (24 bytes), filestat (64 bytes)
const DATA = 1024; // buffers read and written
const PATH = 4096; // path strings
const PATH2 = 6144; // a second path (rename, link, symlink)
const SUBS = 8192; // poll_oneoff subscriptions and events

export interface Opened {
  readonly errno: number;
  readonly fd: number;
}

export interface Fdstat {
  readonly filetype: number;
  readonly flags: number;
  readonly base: number;
  readonly inheriting: number;
}

export interface OpenOptions {
  follow?: boolean;
  oflags?: number;
  /** Requested rights; default: the directory's inheriting rights, less the write rights for
   *  oflags::directory (what wasi-libc asks for). */
  base?: number | bigint;
  inheriting?: number | bigint;
  fdflags?: number;
}

export class WasiFsHarness {
  readonly vfs: Vfs;
  readonly process: Process;
  readonly wasi: WasiPreview1;
  readonly fn: Record<string, ImportFn>;
  private readonly memory = new WebAssembly.Memory({ initial: 1 });
  private readonly enc = new TextEncoder();
  private readonly dec = new TextDecoder();

  /** A fresh VM namespace; `populate` builds the tree before the preopens are installed. */
  constructor(preopens: readonly string[], populate: (h: WasiFsHarness) => void = () => {}) {
    const clock = new HostClock();
    const sched = new Scheduler(clock, { pollInterrupts: () => false, idle: () => false });
    this.vfs = new Vfs({ clock, blocker: sched });
    this.vfs.mountRoot(new RamFs());
    this.process = new Process({ args: ['t'], env: [], clock, entropy: { fill: () => {} }, sched });
    this.wasi = new WasiPreview1(this.process);
    this.wasi.extend(wasiFsExtension(this.vfs), fsErrorToWasi);
    this.fn = this.wasi.imports() as unknown as Record<string, ImportFn>;
    this.wasi.memory.attach(this.memory);
    populate(this);
    // fds 0-2 are stdio in a real process; occupy them so the preopens land on 3, 4, … as they would.
    for (let i = 0; i < 3; i++)
      this.process.fds.allocate({
        kind: 'unknown',
        statusFlags: 0,
        readable: false,
        writable: false,
        read: () => 0,
        write: () => 0,
        close: () => {},
        stat: () => ({ dev: 0n, ino: 0n, kind: 'unknown', nlink: 1n, size: 0n, atimeNs: 0n, mtimeNs: 0n, ctimeNs: 0n }),
      });
    installPreopens(this.vfs, this.process, preopens);
  }

  /** Host-side helper: a file with `text` (parents must exist). */
  writeFile(path: string, text: string): void {
    const f = this.vfs.open(path, O_WRONLY | O_CREAT, 0o644);
    f.write(this.enc.encode(text));
    f.close();
  }

  /** Host-side helper: the names in directory `path`, sorted, without "." and "..". */
  list(path: string): string[] {
    const dir = this.vfs.open(path, O_RDONLY | O_DIRECTORY);
    const names: string[] = [];
    for (let e = dir.readdir(0); e; e = dir.readdir(e.next)) if (e.name !== '.' && e.name !== '..') names.push(e.name);
    dir.close();
    return names.sort();
  }

  private get view(): DataView {
    return new DataView(this.memory.buffer);
  }

  private put(at: number, s: string): [number, number] {
    const b = this.enc.encode(s);
    new Uint8Array(this.memory.buffer).set(b, at);
    return [at, b.length];
  }

  private iovec(text: string | number): number {
    const len = typeof text === 'number' ? text : this.put(DATA, text)[1];
    this.view.setUint32(IOVEC, DATA, true);
    this.view.setUint32(IOVEC + 4, len, true);
    return IOVEC;
  }

  private u32(): number {
    return this.view.getUint32(RESULT, true);
  }

  private text(len: number): string {
    return this.dec.decode(new Uint8Array(this.memory.buffer, DATA, len));
  }

  fdstat(fd: number): Fdstat & { errno: number } {
    const errno = this.fn.fd_fdstat_get!(fd, RESULT);
    const v = this.view;
    return {
      errno,
      filetype: v.getUint8(RESULT),
      flags: v.getUint16(RESULT + 2, true),
      base: Number(v.getBigUint64(RESULT + 8, true)),
      inheriting: Number(v.getBigUint64(RESULT + 16, true)),
    };
  }

  open(dirfd: number, path: string, o: OpenOptions = {}): Opened {
    const [p, n] = this.put(PATH, path);
    let inherited = this.process.fds.has(dirfd) ? this.process.fds.get(dirfd).rightsInheriting : 0;
    // wasi-libc's open(O_RDONLY | O_DIRECTORY) asks for no write rights.
    if ((o.oflags ?? 0) & 2)
      inherited &= ~(Rights.FD_WRITE | Rights.FD_DATASYNC | Rights.FD_ALLOCATE | Rights.FD_FILESTAT_SET_SIZE);
    const errno = this.fn.path_open!(
      dirfd,
      o.follow === false ? 0 : 1,
      p,
      n,
      o.oflags ?? 0,
      BigInt(o.base ?? inherited),
      BigInt(o.inheriting ?? inherited),
      o.fdflags ?? 0,
      RESULT,
    );
    return { errno, fd: errno === 0 ? this.u32() : -1 };
  }

  setRights(fd: number, base: number | bigint, inheriting: number | bigint): number {
    return this.fn.fd_fdstat_set_rights!(fd, BigInt(base), BigInt(inheriting));
  }

  write(fd: number, text: string): { errno: number; n: number } {
    const errno = this.fn.fd_write!(fd, this.iovec(text), 1, RESULT);
    return { errno, n: errno === 0 ? this.u32() : -1 };
  }

  read(fd: number, max = 64): { errno: number; text: string } {
    const errno = this.fn.fd_read!(fd, this.iovec(max), 1, RESULT);
    return { errno, text: errno === 0 ? this.text(this.u32()) : '' };
  }

  pwrite(fd: number, text: string, offset: number): number {
    return this.fn.fd_pwrite!(fd, this.iovec(text), 1, BigInt(offset), RESULT);
  }

  pread(fd: number, max: number, offset: number): { errno: number; text: string } {
    const errno = this.fn.fd_pread!(fd, this.iovec(max), 1, BigInt(offset), RESULT);
    return { errno, text: errno === 0 ? this.text(this.u32()) : '' };
  }

  seek(fd: number, offset: number, whence: number): { errno: number; offset: number } {
    const errno = this.fn.fd_seek!(fd, BigInt(offset), whence, RESULT);
    return { errno, offset: errno === 0 ? Number(this.view.getBigUint64(RESULT, true)) : -1 };
  }

  tell(fd: number): { errno: number; offset: number } {
    const errno = this.fn.fd_tell!(fd, RESULT);
    return { errno, offset: errno === 0 ? Number(this.view.getBigUint64(RESULT, true)) : -1 };
  }

  /** fd_filestat_get: errno, and the inode and type when it succeeds. */
  filestat(fd: number): { errno: number; ino: bigint; filetype: number; size: number } {
    const errno = this.fn.fd_filestat_get!(fd, RESULT);
    const v = this.view;
    return errno === 0
      ? {
          errno,
          ino: v.getBigUint64(RESULT + 8, true),
          filetype: v.getUint8(RESULT + 16),
          size: Number(v.getBigUint64(RESULT + 32, true)),
        }
      : { errno, ino: 0n, filetype: 0, size: 0 };
  }

  /** path_filestat_get: errno, and the inode when it succeeds. */
  pathStat(dirfd: number, path: string, follow = true): { errno: number; ino: bigint } {
    const [p, n] = this.put(PATH, path);
    const errno = this.fn.path_filestat_get!(dirfd, follow ? 1 : 0, p, n, RESULT);
    return { errno, ino: errno === 0 ? this.view.getBigUint64(RESULT + 8, true) : 0n };
  }

  /** A path_* call taking (fd, path): path_create_directory, path_remove_directory, path_unlink_file. */
  pathCall(name: string, dirfd: number, path: string): number {
    const [p, n] = this.put(PATH, path);
    return this.fn[name]!(dirfd, p, n);
  }

  symlink(target: string, dirfd: number, path: string): number {
    const [t, tn] = this.put(PATH2, target);
    const [p, n] = this.put(PATH, path);
    return this.fn.path_symlink!(t, tn, dirfd, p, n);
  }

  readlink(dirfd: number, path: string): { errno: number; target: string } {
    const [p, n] = this.put(PATH, path);
    const errno = this.fn.path_readlink!(dirfd, p, n, DATA, 256, RESULT);
    return { errno, target: errno === 0 ? this.text(this.u32()) : '' };
  }

  rename(fromFd: number, from: string, toFd: number, to: string): number {
    const [f, fn] = this.put(PATH, from);
    const [t, tn] = this.put(PATH2, to);
    return this.fn.path_rename!(fromFd, f, fn, toFd, t, tn);
  }

  link(fromFd: number, from: string, toFd: number, to: string, follow = false): number {
    const [f, fn] = this.put(PATH, from);
    const [t, tn] = this.put(PATH2, to);
    return this.fn.path_link!(fromFd, follow ? 1 : 0, f, fn, toFd, t, tn);
  }

  setTimes(dirfd: number, path: string, follow = false): number {
    const [p, n] = this.put(PATH, path);
    return this.fn.path_filestat_set_times!(dirfd, follow ? 1 : 0, p, n, 0n, 0n, 2 | 8 /* ATIM_NOW | MTIM_NOW */);
  }

  readdir(fd: number): number {
    return this.fn.fd_readdir!(fd, DATA, 256, 0n, RESULT);
  }

  /** poll_oneoff with one fd_read (tag 1) or fd_write (tag 2) subscription: the event's error. */
  pollFd(fd: number, tag: 1 | 2): { errno: number; eventError: number } {
    const v = this.view;
    for (let i = 0; i < 48; i++) v.setUint8(SUBS + i, 0);
    v.setBigUint64(SUBS, 7n, true);
    v.setUint8(SUBS + 8, tag);
    v.setUint32(SUBS + 16, fd, true);
    const errno = this.fn.poll_oneoff!(SUBS, SUBS + 64, 1, RESULT);
    return { errno, eventError: v.getUint16(SUBS + 64 + 8, true) };
  }
}
