// A POSIX-shaped API for JS apps on osv-ts, over the same fd table and VFS the WASI binding
// uses (an fd opened here is visible to WASI calls of the same process and vice versa).
// Failures throw KernelError with a Linux errno (`e.errno`), the JS counterpart of -1 + errno.
import { Errno, KernelError } from '@osv-ts/kernel-api';
import { O_CLOEXEC, O_RDONLY, O_DIRECTORY, type Stat, type Vfs } from '@osv-ts/vfs';
import { VfsFile } from './fd/vfs-file.js';
import type { Process } from './process.js';

export const F_DUPFD = 0;
export const F_GETFD = 1;
export const F_SETFD = 2;
export const F_GETFL = 3;
export const F_SETFL = 4;
export const F_DUPFD_CLOEXEC = 1030;
export const FD_CLOEXEC = 1;

export class Posix {
  constructor(
    readonly process: Process,
    readonly vfs: Vfs,
  ) {}

  open(path: string, flags = O_RDONLY, mode = 0o666): number {
    const file = new VfsFile(this.vfs.open(path, flags & ~O_CLOEXEC, mode), path);
    return this.process.fds.allocate(file, { cloexec: (flags & O_CLOEXEC) !== 0 });
  }

  close(fd: number): void {
    this.process.fds.close(fd);
  }

  read(fd: number, into: Uint8Array): number {
    const f = this.process.fds.file(fd);
    if (!f.readable) throw new KernelError(Errno.EBADF);
    return f.read([into]);
  }

  write(fd: number, data: Uint8Array | string): number {
    const f = this.process.fds.file(fd);
    if (!f.writable) throw new KernelError(Errno.EBADF);
    return f.write([typeof data === 'string' ? new TextEncoder().encode(data) : data]);
  }

  pread(fd: number, into: Uint8Array, offset: number): number {
    const f = this.process.fds.file(fd);
    if (!f.pread) throw new KernelError(Errno.ESPIPE);
    return f.pread([into], BigInt(offset));
  }

  pwrite(fd: number, data: Uint8Array, offset: number): number {
    const f = this.process.fds.file(fd);
    if (!f.pwrite) throw new KernelError(Errno.ESPIPE);
    return f.pwrite([data], BigInt(offset));
  }

  lseek(fd: number, offset: number, whence: 0 | 1 | 2): number {
    const f = this.process.fds.file(fd);
    if (!f.seek) throw new KernelError(Errno.ESPIPE);
    return Number(f.seek(BigInt(offset), whence));
  }

  fstat(fd: number): Stat | ReturnType<VfsFile['stat']> {
    const f = this.process.fds.file(fd);
    return f instanceof VfsFile ? f.file.stat() : f.stat();
  }

  stat(path: string): Stat {
    return this.vfs.stat(path);
  }

  lstat(path: string): Stat {
    return this.vfs.lstat(path);
  }

  mkdir(path: string, mode = 0o777): void {
    this.vfs.mkdir(path, mode);
  }

  rmdir(path: string): void {
    this.vfs.rmdir(path);
  }

  unlink(path: string): void {
    this.vfs.unlink(path);
  }

  rename(from: string, to: string): void {
    this.vfs.rename(from, to);
  }

  link(existing: string, path: string): void {
    this.vfs.link(existing, path);
  }

  symlink(target: string, path: string): void {
    this.vfs.symlink(target, path);
  }

  readlink(path: string): string {
    return this.vfs.readlink(path);
  }

  ftruncate(fd: number, size: number): void {
    const f = this.process.fds.file(fd);
    if (!f.truncate) throw new KernelError(Errno.EINVAL);
    f.truncate(BigInt(size));
  }

  fsync(fd: number): void {
    this.process.fds.file(fd).sync?.();
  }

  /** The names in a directory, without "." and "..". */
  readdir(path: string): string[] {
    const dir = this.vfs.open(path, O_RDONLY | O_DIRECTORY);
    try {
      const names: string[] = [];
      for (let e = dir.readdir(0); e; e = dir.readdir(e.next)) if (e.name !== '.' && e.name !== '..') names.push(e.name);
      return names;
    } finally {
      dir.close();
    }
  }

  dup(fd: number): number {
    return this.process.fds.dup(fd);
  }

  dup2(fd: number, to: number): number {
    return this.process.fds.dup2(fd, to);
  }

  fcntl(fd: number, cmd: number, arg = 0): number {
    const fds = this.process.fds;
    switch (cmd) {
      case F_DUPFD:
        return fds.dup(fd, arg);
      case F_DUPFD_CLOEXEC:
        return fds.dup(fd, arg, true);
      case F_GETFD:
        return fds.get(fd).cloexec ? FD_CLOEXEC : 0;
      case F_SETFD:
        fds.get(fd).cloexec = (arg & FD_CLOEXEC) !== 0;
        return 0;
      case F_GETFL: {
        const f = fds.file(fd);
        return (f.readable && f.writable ? 2 : f.writable ? 1 : 0) | f.statusFlags;
      }
      case F_SETFL:
        fds.file(fd).statusFlags = arg;
        return 0;
      default:
        throw new KernelError(Errno.EINVAL, `fcntl command ${cmd}`);
    }
  }

  /** pipe(): [read end, write end]. */
  pipe(): [number, number] {
    const [r, w] = this.vfs.pipe();
    return [this.process.fds.allocate(new VfsFile(r, 'pipe:')), this.process.fds.allocate(new VfsFile(w, 'pipe:'))];
  }

  getenv(name: string): string | undefined {
    const hit = this.process.env.find((kv) => kv.startsWith(`${name}=`));
    return hit?.slice(name.length + 1);
  }
}
