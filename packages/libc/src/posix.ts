// A POSIX-shaped API for JS apps on osv-ts, over the same fd table and VFS the WASI binding
// uses (an fd opened here is visible to WASI calls of the same process and vice versa).
// Failures throw KernelError with a Linux errno (`e.errno`), the JS counterpart of -1 + errno.
// Socket calls are delegated to a SocketLayer that the kernel passes in only when it has a
// network stack (libc's `posix-sockets` module); without one, socket() fails with EAFNOSUPPORT
// and getaddrinfo() still answers numeric hosts and /etc/hosts.
import { Errno, KernelError, errnoName } from '@osv-ts/kernel-api';
import { HostsFile, parseResolvConf, type ResolverConfig } from '@osv-ts/netstack';
import { O_CLOEXEC, O_RDONLY, O_DIRECTORY, type Stat, type Vfs } from '@osv-ts/vfs';
import { SocketFile } from './fd/socket-file.js';
import { VfsFile } from './fd/vfs-file.js';
import { ProcessExit, type Process } from './process.js';
import { getaddrinfo, type AddrInfo, type AddrInfoHints, type SockAddr } from './socket/getaddrinfo.js';
import type { SocketLayer } from './socket/posix-sockets.js';
import { POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT } from './socket/socket-constants.js';
import {
  F_DUPFD,
  F_DUPFD_CLOEXEC,
  F_GETFD,
  F_GETFL,
  F_SETFD,
  F_SETFL,
  FD_CLOEXEC,
  POSIX_CONSTANTS,
} from './posix-constants.js';

/** One entry of poll()'s array (struct pollfd): `revents` is filled in. */
export interface PollFd {
  fd: number;
  events: number;
  revents?: number;
}

export { F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_DUPFD_CLOEXEC, FD_CLOEXEC } from './posix-constants.js';

export class Posix {
  /** The constants apps pass (O_*, AF_*, SOCK_*, MSG_*, POLL*, EAI_*, errno E*), Linux's values. */
  readonly constants = POSIX_CONSTANTS;

  constructor(
    readonly process: Process,
    readonly vfs: Vfs,
    /** The socket calls, when the kernel has a network stack. */
    readonly sockets?: SocketLayer,
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
      for (let e = dir.readdir(0); e; e = dir.readdir(e.next))
        if (e.name !== '.' && e.name !== '..') names.push(e.name);
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
    const { env } = this.process; // libc's Process, not Node's
    const hit = env.find((kv) => kv.startsWith(`${name}=`));
    return hit?.slice(name.length + 1);
  }

  /** exit(3): unwinds the app with `status`. */
  exit(status = 0): never {
    throw new ProcessExit(status);
  }

  strerror(errno: number): string {
    return errnoName(errno);
  }

  // --- sockets -------------------------------------------------------------------------------

  private net(fd?: number): SocketLayer {
    if (this.sockets) return this.sockets;
    if (fd !== undefined && !(this.process.fds.file(fd) instanceof SocketFile))
      throw new KernelError(Errno.ENOTSOCK, `fd ${fd}`);
    throw new KernelError(Errno.ENOSYS, 'no network stack in this kernel (run with -n)');
  }

  /** socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol) → fd. */
  socket(domain: number, type: number, protocol = 0): number {
    if (!this.sockets) throw new KernelError(Errno.EAFNOSUPPORT, 'no network stack in this kernel (run with -n)');
    return this.sockets.socket(domain, type, protocol);
  }

  bind(fd: number, address: SockAddr): void {
    this.net(fd).bind(fd, address);
  }

  listen(fd: number, backlog = 128): void {
    this.net(fd).listen(fd, backlog);
  }

  /** accept() → the new fd; the peer is getpeername(fd). */
  accept(fd: number): number {
    return this.net(fd).accept4(fd, 0);
  }

  accept4(fd: number, flags: number): number {
    return this.net(fd).accept4(fd, flags);
  }

  /** Blocks until connected, unless the socket is non-blocking (then EINPROGRESS; poll for POLLOUT, read SO_ERROR). */
  connect(fd: number, address: SockAddr): void {
    this.net(fd).connect(fd, address);
  }

  send(fd: number, data: Uint8Array | string, flags = 0): number {
    return this.net(fd).send(fd, typeof data === 'string' ? new TextEncoder().encode(data) : data, flags);
  }

  sendto(fd: number, data: Uint8Array | string, flags: number, to?: SockAddr): number {
    return this.net(fd).sendto(fd, typeof data === 'string' ? new TextEncoder().encode(data) : data, flags, to);
  }

  recv(fd: number, into: Uint8Array, flags = 0): number {
    return this.net(fd).recv(fd, into, flags);
  }

  recvfrom(fd: number, into: Uint8Array, flags = 0): { bytes: number; address: SockAddr | undefined } {
    return this.net(fd).recvfrom(fd, into, flags);
  }

  shutdown(fd: number, how: number): void {
    this.net(fd).shutdown(fd, how);
  }

  setsockopt(fd: number, level: number, name: number, value: number | boolean): void {
    this.net(fd).setsockopt(fd, level, name, value);
  }

  getsockopt(fd: number, level: number, name: number): number {
    return this.net(fd).getsockopt(fd, level, name);
  }

  getsockname(fd: number): SockAddr {
    return this.net(fd).getsockname(fd);
  }

  getpeername(fd: number): SockAddr {
    return this.net(fd).getpeername(fd);
  }

  /**
   * getaddrinfo(node, service, hints) → addresses; failures throw AddrInfoError (`e.code` is
   * EAI_*). Reads /etc/hosts and /etc/resolv.conf from the VFS on each call (the nameservers
   * from DHCP or --nameserver= when there is no resolv.conf).
   */
  getaddrinfo(
    node: string | null | undefined,
    service?: string | number | null,
    hints: AddrInfoHints = {},
  ): AddrInfo[] {
    const hosts = HostsFile.parse(this.readText('/etc/hosts') ?? '');
    const resolvConf = this.readText('/etc/resolv.conf');
    const config: Partial<ResolverConfig> = resolvConf === undefined ? {} : parseResolvConf(resolvConf);
    const net = this.sockets;
    return getaddrinfo(node, service, hints, {
      hosts,
      dns: net && ((name, versions) => net.lookup(name, versions, config)),
    });
  }

  /**
   * poll(fds, timeoutMs) (POSIX.1-2017 XSH poll): files, pipes, consoles and sockets alike. Fills
   * in each `revents` and returns how many are non-zero; timeout < 0 waits indefinitely.
   * POLLERR, POLLHUP and POLLNVAL are reported whether asked for or not; negative fds are skipped.
   */
  poll(fds: PollFd[], timeoutMs = -1): number {
    const scan = (): number => {
      let ready = 0;
      for (const p of fds) {
        p.revents = this.revents(p);
        if (p.revents) ready++;
      }
      return ready;
    };
    const n = scan();
    if (n > 0 || timeoutMs === 0) return n;
    const deadlineNs = timeoutMs < 0 ? undefined : this.process.clock.monotonicNs() + timeoutMs * 1e6;
    const any = (): boolean => fds.some((p) => this.revents(p) !== 0);
    if (this.sockets) this.sockets.waitFor(any, deadlineNs);
    else this.process.block(any, deadlineNs);
    return scan();
  }

  private revents(p: PollFd): number {
    if (p.fd < 0) return 0;
    if (!this.process.fds.has(p.fd)) return POLLNVAL;
    const f = this.process.fds.file(p.fd);
    if (f instanceof SocketFile) return f.socket.readiness() & (p.events | POLLERR | POLLHUP | POLLNVAL);
    let r = 0;
    if (f.pollReadable?.() ?? f.readable) r |= POLLIN;
    if (f.pollWritable?.() ?? f.writable) r |= POLLOUT;
    return r & p.events;
  }

  private readText(path: string): string | undefined {
    let fd: number;
    try {
      fd = this.open(path, O_RDONLY);
    } catch (e) {
      if (e instanceof KernelError) return undefined;
      throw e;
    }
    try {
      const chunks: Uint8Array[] = [];
      for (;;) {
        const buf = new Uint8Array(4096);
        const n = this.read(fd, buf);
        if (n === 0) break;
        chunks.push(buf.subarray(0, n));
      }
      const all = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
      let at = 0;
      for (const c of chunks) {
        all.set(c, at);
        at += c.length;
      }
      return new TextDecoder().decode(all);
    } finally {
      this.close(fd);
    }
  }
}
