// The per-process file descriptor table: lowest free number first (POSIX), shared open file
// descriptions with reference counts (dup, dup2, renumber), close-on-exec flags, and the WASI
// rights and preopen names each descriptor carries.
import { Errno, KernelError } from '@osv-ts/kernel-api';
import type { OpenFile } from './open-file.js';

/** An open file description shared by dup'ed descriptors. */
export class FileDescription {
  refs = 0;
  constructor(readonly file: OpenFile) {}
}

export interface FdEntry {
  readonly description: FileDescription;
  cloexec: boolean;
  /** WASI rights (witx `rights`, bits 0-29 as a number: checking one is an integer AND). */
  rightsBase: number;
  rightsInheriting: number;
  /** Set on preopened directories: the guest path the app sees (fd_prestat_dir_name). */
  readonly preopenPath?: string;
}

export const DEFAULT_FD_LIMIT = 0x4000; // OSv's fs_max_file_descriptors

export class FdTable {
  private readonly entries: (FdEntry | undefined)[] = [];
  private open = 0;

  constructor(readonly limit = DEFAULT_FD_LIMIT) {}

  get size(): number {
    return this.open;
  }

  /** Installs `file` at the lowest free descriptor ≥ minFd. */
  allocate(file: OpenFile | FileDescription, options: Partial<Omit<FdEntry, 'description'>> = {}, minFd = 0): number {
    let fd = minFd;
    while (fd < this.entries.length && this.entries[fd] !== undefined) fd++;
    if (fd >= this.limit) throw new KernelError(Errno.EMFILE);
    this.install(fd, file instanceof FileDescription ? file : new FileDescription(file), options);
    return fd;
  }

  get(fd: number): FdEntry {
    const e = Number.isInteger(fd) && fd >= 0 ? this.entries[fd] : undefined;
    if (!e) throw new KernelError(Errno.EBADF, `fd ${fd}`);
    return e;
  }

  file(fd: number): OpenFile {
    return this.get(fd).description.file;
  }

  has(fd: number): boolean {
    return this.entries[fd] !== undefined;
  }

  close(fd: number): void {
    const e = this.get(fd);
    this.entries[fd] = undefined;
    this.open--;
    this.release(e.description);
  }

  /** dup(): the same description at the lowest free descriptor, close-on-exec cleared. */
  dup(fd: number, minFd = 0, cloexec = false): number {
    const e = this.get(fd);
    return this.allocate(
      e.description,
      { cloexec, rightsBase: e.rightsBase, rightsInheriting: e.rightsInheriting },
      minFd,
    );
  }

  /** dup2(): makes `newFd` refer to `oldFd`'s description, closing what `newFd` had. */
  dup2(oldFd: number, newFd: number): number {
    const e = this.get(oldFd);
    if (!Number.isInteger(newFd) || newFd < 0 || newFd >= this.limit) throw new KernelError(Errno.EBADF);
    if (oldFd === newFd) return newFd;
    const previous = this.entries[newFd];
    this.install(
      newFd,
      e.description,
      { cloexec: false, rightsBase: e.rightsBase, rightsInheriting: e.rightsInheriting },
      previous,
    );
    if (previous) this.release(previous.description);
    return newFd;
  }

  /** WASI fd_renumber: moves `from` onto `to` (which must be open), closing `to`'s old file. */
  renumber(from: number, to: number): void {
    const e = this.get(from);
    const previous = this.get(to);
    if (from === to) return;
    this.entries[to] = { ...e };
    this.entries[from] = undefined;
    this.open--;
    this.release(previous.description);
  }

  /** Every open descriptor number, ascending. */
  descriptors(): number[] {
    const out: number[] = [];
    this.entries.forEach((e, i) => e && out.push(i));
    return out;
  }

  /** Closes every descriptor, even past one whose close reports an error (a deferred write's). */
  closeAll(): void {
    for (const fd of this.descriptors()) {
      try {
        this.close(fd);
      } catch (e) {
        if (!(e instanceof KernelError)) throw e;
      }
    }
  }

  private install(
    fd: number,
    description: FileDescription,
    options: Partial<Omit<FdEntry, 'description'>>,
    replacing?: FdEntry,
  ): void {
    description.refs++;
    const cloexec = options.cloexec ?? false;
    const rightsBase = options.rightsBase ?? ALL_RIGHTS;
    const rightsInheriting = options.rightsInheriting ?? ALL_RIGHTS;
    // Two literals rather than a conditional spread (a runtime object clone on every open).
    const entry: FdEntry =
      options.preopenPath === undefined
        ? { description, cloexec, rightsBase, rightsInheriting }
        : { description, cloexec, rightsBase, rightsInheriting, preopenPath: options.preopenPath };
    while (this.entries.length < fd) this.entries.push(undefined);
    if (!replacing) this.open++;
    this.entries[fd] = entry;
  }

  private release(d: FileDescription): void {
    if (--d.refs === 0) d.file.close();
  }
}

/** All 30 WASI preview1 rights bits. */
export const ALL_RIGHTS = (1 << 30) - 1;
