// The BSD socket calls (POSIX.1-2017 XSH socket(), bind(), listen(), accept(), connect(),
// send()/recv()/sendto()/recvfrom(), shutdown(), setsockopt()/getsockopt(), getsockname()/
// getpeername(); Linux's accept4()) for JS apps, over the netstack's non-blocking sockets.
// Sockets live in the process's fd table as SocketFiles, so WASI sock_* calls and read/write/
// poll/fcntl see the same descriptors. Blocking calls run the scheduler (docs/architecture.md §3) until
// the socket's readiness changes, polling the stack at its own deadlines so TCP timers armed
// by the app fire on time. Leaves out: SOCK_RAW, AF_UNIX, MSG_OOB, SO_LINGER, ancillary data.
import { Errno, KernelError } from '@osv-ts/kernel-api';
import {
  DnsResolver,
  HostsFile,
  IpAddress,
  TcpSocket,
  type NetStack,
  type ResolverConfig,
  type SocketAddress,
  type SocketOption,
  type UdpSocket,
} from '@osv-ts/netstack';
import { SocketFile } from '../fd/socket-file.js';
import type { Process } from '../process.js';
import { maxRights } from '../wasi/wasi-rights.js';
import { addressText, type LookupFailure, type SockAddr } from './getaddrinfo.js';
import {
  AF_INET,
  AF_INET6,
  IPPROTO_IPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IPV6_V6ONLY,
  MSG_DONTWAIT,
  MSG_NOSIGNAL,
  MSG_PEEK,
  MSG_WAITALL,
  O_NONBLOCK,
  SHUT_RD,
  SHUT_RDWR,
  SHUT_WR,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  SOL_SOCKET,
  SO_BROADCAST,
  SO_DOMAIN,
  SO_ERROR,
  SO_KEEPALIVE,
  SO_RCVBUF,
  SO_REUSEADDR,
  SO_SNDBUF,
  SO_TYPE,
  TCP_KEEPCNT,
  TCP_KEEPIDLE,
  TCP_KEEPINTVL,
  TCP_NODELAY,
} from './socket-constants.js';

/** What Posix calls for sockets; present only when the kernel has a network stack. */
export interface SocketLayer {
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, address: SockAddr): void;
  listen(fd: number, backlog: number): void;
  accept4(fd: number, flags: number): number;
  connect(fd: number, address: SockAddr): void;
  send(fd: number, data: Uint8Array, flags: number): number;
  sendto(fd: number, data: Uint8Array, flags: number, to?: SockAddr): number;
  recv(fd: number, into: Uint8Array, flags: number): number;
  recvfrom(fd: number, into: Uint8Array, flags: number): { bytes: number; address: SockAddr | undefined };
  shutdown(fd: number, how: number): void;
  setsockopt(fd: number, level: number, name: number, value: number | boolean): void;
  getsockopt(fd: number, level: number, name: number): number;
  getsockname(fd: number): SockAddr;
  getpeername(fd: number): SockAddr;
  /** DNS lookups for getaddrinfo, one per IP version, answered together. */
  lookup(name: string, versions: readonly (4 | 6)[], config: Partial<ResolverConfig>): (IpAddress[] | LookupFailure)[];
  /** Blocks until `ready()` holds or `deadlineNs` passes, keeping the stack's timers on time. */
  waitFor(ready: () => boolean, deadlineNs?: number): boolean;
}

const SOCKET_INODE_BASE = 0x2_0000_0000n;

export class PosixSockets implements SocketLayer {
  private nextInode = SOCKET_INODE_BASE;
  private readonly pump: () => void;

  constructor(
    readonly process: Process,
    readonly stack: NetStack,
  ) {
    this.pump = () => stack.poll();
  }

  socket(domain: number, type: number, protocol: number): number {
    if (domain !== AF_INET && domain !== AF_INET6) throw new KernelError(Errno.EAFNOSUPPORT, `domain ${domain}`);
    const kind = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    const version = domain === AF_INET ? 4 : 6;
    let socket: TcpSocket | UdpSocket;
    if (kind === SOCK_STREAM && (protocol === 0 || protocol === IPPROTO_TCP)) socket = this.stack.tcpSocket(version);
    else if (kind === SOCK_DGRAM && (protocol === 0 || protocol === IPPROTO_UDP))
      socket = this.stack.udpSocket(version);
    else if (kind === SOCK_STREAM || kind === SOCK_DGRAM)
      throw new KernelError(Errno.EPROTONOSUPPORT, `protocol ${protocol}`);
    else throw new KernelError(Errno.EINVAL, `socket type ${type}`); // Linux: EINVAL for unknown types
    return this.install(socket, type);
  }

  private install(socket: TcpSocket | UdpSocket, flags: number): number {
    const file = new SocketFile(socket, this.process.sched, this.nextInode++, this.pump);
    if (flags & SOCK_NONBLOCK) file.statusFlags |= O_NONBLOCK;
    const max = maxRights(file.kind);
    return this.process.fds.allocate(file, {
      cloexec: (flags & SOCK_CLOEXEC) !== 0,
      rightsBase: max.base,
      rightsInheriting: 0,
    });
  }

  private file(fd: number): SocketFile {
    const f = this.process.fds.file(fd);
    if (!(f instanceof SocketFile)) throw new KernelError(Errno.ENOTSOCK, `fd ${fd}`);
    return f;
  }

  private tcp(fd: number): TcpSocket {
    const s = this.file(fd).socket;
    if (!(s instanceof TcpSocket)) throw new KernelError(Errno.EOPNOTSUPP, 'not a stream socket');
    return s;
  }

  bind(fd: number, address: SockAddr): void {
    this.file(fd).socket.bind(this.toSocketAddress(address));
  }

  listen(fd: number, backlog: number): void {
    this.tcp(fd).listen(backlog);
  }

  accept4(fd: number, flags: number): number {
    if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) throw new KernelError(Errno.EINVAL, 'accept4 flags');
    const listener = this.tcp(fd);
    const conn = this.blocking(this.file(fd), 0, () => listener.accept());
    return this.install(conn, flags);
  }

  connect(fd: number, address: SockAddr): void {
    const file = this.file(fd);
    const to = this.toSocketAddress(address);
    const s = file.socket;
    if (!(s instanceof TcpSocket)) {
      s.connect(to);
      return;
    }
    try {
      s.connect(to);
    } catch (e) {
      if (!(e instanceof KernelError) || e.errno !== Errno.EINPROGRESS) throw e;
      if (file.statusFlags & O_NONBLOCK) throw e;
    }
    // POSIX connect(): a blocking socket waits for the handshake; the outcome is then what a
    // second connect() reports (EISCONN = connected, or the error, as SO_ERROR would give it).
    const OUT_ERR_HUP = 0x004 | 0x008 | 0x010;
    this.waitFor(() => (s.readiness() & OUT_ERR_HUP) !== 0 || s.closed);
    try {
      s.connect(to);
    } catch (e) {
      if (e instanceof KernelError && e.errno === Errno.EISCONN) return;
      throw e;
    }
  }

  send(fd: number, data: Uint8Array, flags: number): number {
    return this.sendto(fd, data, flags);
  }

  sendto(fd: number, data: Uint8Array, flags: number, to?: SockAddr): number {
    if (flags & ~(MSG_DONTWAIT | MSG_NOSIGNAL))
      throw new KernelError(Errno.EOPNOTSUPP, `send flags 0x${flags.toString(16)}`);
    const file = this.file(fd);
    const s = file.socket;
    const nonBlocking = (flags & MSG_DONTWAIT) !== 0 || (file.statusFlags & O_NONBLOCK) !== 0;
    if (!(s instanceof TcpSocket)) {
      const dest = to && this.toSocketAddress(to);
      return this.blocking(file, flags, () => s.sendTo(data, dest));
    }
    // Linux ignores the address of sendto() on a connected stream socket.
    return this.streamSend(s, data, nonBlocking);
  }

  /**
   * A stream send: blocking, until everything is queued; non-blocking, what fits now (EAGAIN
   * when nothing does). Uses the socket's errno-returning write(), so a full buffer costs no
   * exception; a partial send is a success and any error comes with the next call.
   */
  private streamSend(s: TcpSocket, data: Uint8Array, nonBlocking: boolean): number {
    let sent = 0;
    while (sent < data.length) {
      const r = s.write(sent === 0 ? data : data.subarray(sent));
      if (r > 0) {
        sent += r;
        if (nonBlocking) break;
        continue;
      }
      if ((r === 0 || r === -Errno.EAGAIN) && !nonBlocking) {
        this.awaitChange(s);
        continue;
      }
      if (sent > 0) break;
      throw new KernelError(r === 0 ? Errno.EAGAIN : -r);
    }
    this.pump();
    return sent;
  }

  recv(fd: number, into: Uint8Array, flags: number): number {
    const file = this.file(fd);
    const s = file.socket;
    if (!(s instanceof TcpSocket)) return this.recvfrom(fd, into, flags).bytes;
    if (flags & ~(MSG_PEEK | MSG_DONTWAIT | MSG_WAITALL))
      throw new KernelError(Errno.EOPNOTSUPP, `recv flags 0x${flags.toString(16)}`);
    return this.streamReceive(file, s, into, flags);
  }

  recvfrom(fd: number, into: Uint8Array, flags: number): { bytes: number; address: SockAddr | undefined } {
    if (flags & ~(MSG_PEEK | MSG_DONTWAIT | MSG_WAITALL))
      throw new KernelError(Errno.EOPNOTSUPP, `recv flags 0x${flags.toString(16)}`);
    const file = this.file(fd);
    const s = file.socket;
    if (!(s instanceof TcpSocket)) {
      const got = this.blocking(file, flags, () => s.recvFrom(into, (flags & MSG_PEEK) !== 0));
      return { bytes: got.bytes, address: this.toSockAddr(s.family, got.from) };
    }
    const bytes = this.streamReceive(file, s, into, flags);
    const peer = s.peerName();
    return { bytes, address: peer && this.toSockAddr(s.family, peer) };
  }

  /** A stream receive: MSG_PEEK copies without consuming; MSG_WAITALL fills `into` unless the stream ends or fails. */
  private streamReceive(file: SocketFile, s: TcpSocket, into: Uint8Array, flags: number): number {
    if (into.length === 0) return 0;
    const nonBlocking = (flags & MSG_DONTWAIT) !== 0 || (file.statusFlags & O_NONBLOCK) !== 0;
    const peek = (flags & MSG_PEEK) !== 0;
    let n = this.streamStep(s, into, peek, nonBlocking);
    if (flags & MSG_WAITALL && !peek && !nonBlocking) {
      while (n > 0 && n < into.length) {
        let k: number;
        try {
          k = this.streamStep(s, into.subarray(n), false, false);
        } catch (e) {
          if (e instanceof KernelError) break;
          throw e;
        }
        if (k === 0) break;
        n += k;
      }
    }
    return n;
  }

  /** One read (or peek) from the socket's errno-returning calls, waiting while it says EAGAIN. */
  private streamStep(s: TcpSocket, into: Uint8Array, peek: boolean, nonBlocking: boolean): number {
    for (;;) {
      const r = peek ? s.peek(into) : s.read(into);
      if (r >= 0) return r;
      if (r !== -Errno.EAGAIN || nonBlocking) throw new KernelError(-r);
      this.awaitChange(s);
    }
  }

  /**
   * Waits until the socket's readiness differs from what it is now (the state in which the
   * call just failed with EAGAIN); the caller then retries. Readiness is sampled before the
   * stack runs, so a change made by that run is not missed.
   */
  private awaitChange(s: TcpSocket | UdpSocket): void {
    const before = s.readiness();
    this.waitFor(() => s.readiness() !== before || s.closed);
  }

  shutdown(fd: number, how: number): void {
    const file = this.file(fd);
    if (how !== SHUT_RD && how !== SHUT_WR && how !== SHUT_RDWR) throw new KernelError(Errno.EINVAL, `how ${how}`);
    const s = file.socket;
    if (!(s instanceof TcpSocket)) {
      if (!s.remote) throw new KernelError(Errno.ENOTCONN);
      return;
    }
    s.shutdown(how === SHUT_RD ? 'read' : how === SHUT_WR ? 'write' : 'both');
    this.pump();
  }

  setsockopt(fd: number, level: number, name: number, value: number | boolean): void {
    const s = this.file(fd).socket;
    s.setOption(this.optionName(s, level, name, true), typeof value === 'boolean' ? value : Number(value));
  }

  getsockopt(fd: number, level: number, name: number): number {
    const s = this.file(fd).socket;
    if (level === SOL_SOCKET && name === SO_TYPE) return s instanceof TcpSocket ? SOCK_STREAM : SOCK_DGRAM;
    if (level === SOL_SOCKET && name === SO_DOMAIN) return s.family === 4 ? AF_INET : AF_INET6;
    const option = this.optionName(s, level, name, false);
    let v = s.getOption(option);
    if (v === undefined && s instanceof TcpSocket) {
      const d = this.stack.tcpDefaults;
      v = option === 'SO_RCVBUF' ? d.receiveBufferBytes : option === 'SO_SNDBUF' ? d.sendBufferBytes : undefined;
    }
    return typeof v === 'boolean' ? Number(v) : typeof v === 'number' ? v : 0;
  }

  private optionName(s: TcpSocket | UdpSocket, level: number, name: number, setting: boolean): SocketOption {
    if (level === SOL_SOCKET) {
      switch (name) {
        case SO_REUSEADDR:
          return 'SO_REUSEADDR';
        case SO_RCVBUF:
          return 'SO_RCVBUF';
        case SO_SNDBUF:
          return 'SO_SNDBUF';
        case SO_KEEPALIVE:
          if (s instanceof TcpSocket) return 'SO_KEEPALIVE';
          break;
        case SO_BROADCAST:
          if (!(s instanceof TcpSocket)) return 'SO_BROADCAST';
          break;
        case SO_ERROR:
          if (!setting) return 'SO_ERROR';
          break;
      }
    } else if (level === IPPROTO_TCP && s instanceof TcpSocket) {
      switch (name) {
        case TCP_NODELAY:
          return 'TCP_NODELAY';
        case TCP_KEEPIDLE:
          if (setting) return 'TCP_KEEPIDLE';
          break;
        case TCP_KEEPINTVL:
          if (setting) return 'TCP_KEEPINTVL';
          break;
        case TCP_KEEPCNT:
          if (setting) return 'TCP_KEEPCNT';
          break;
      }
    } else if (level === IPPROTO_IPV6 && name === IPV6_V6ONLY) {
      return 'IPV6_V6ONLY';
    }
    throw new KernelError(Errno.ENOPROTOOPT, `level ${level} option ${name}`);
  }

  getsockname(fd: number): SockAddr {
    const s = this.file(fd).socket;
    if (s instanceof TcpSocket) {
      const local = s.sockName();
      if (local) return this.toSockAddr(s.family, local);
    } else if (s.local) {
      return this.toSockAddr(s.family, s.local);
    }
    return { family: s.family === 4 ? AF_INET : AF_INET6, address: s.family === 4 ? '0.0.0.0' : '::', port: 0 };
  }

  getpeername(fd: number): SockAddr {
    const s = this.file(fd).socket;
    if (s instanceof TcpSocket) {
      const state = s.connection?.state;
      const peer = s.peerName();
      if (!peer || state === 'SYN-SENT' || state === 'CLOSED') throw new KernelError(Errno.ENOTCONN);
      return this.toSockAddr(s.family, peer);
    }
    if (!s.remote) throw new KernelError(Errno.ENOTCONN);
    return this.toSockAddr(s.family, s.remote);
  }

  lookup(name: string, versions: readonly (4 | 6)[], config: Partial<ResolverConfig>): (IpAddress[] | LookupFailure)[] {
    // The hosts file was consulted by getaddrinfo already; the resolver gets an empty one.
    const resolver = new DnsResolver(this.stack, { config, hosts: new HostsFile() });
    const lookups = versions.map((v) => resolver.lookup(name, v === 4 ? 'A' : 'AAAA'));
    this.waitFor(() => lookups.every((l) => l.state !== 'pending'));
    return lookups.map((l) => (l.state === 'done' ? l.addresses : (l.failure ?? 'servfail')));
  }

  waitFor(ready: () => boolean, deadlineNs?: number): boolean {
    const clock = this.process.clock;
    for (;;) {
      this.pump();
      if (ready()) return true;
      const now = clock.monotonicNs();
      if (deadlineNs !== undefined && now >= deadlineNs) return false;
      const stackNext = this.stack.nextDeadlineNs();
      let until = deadlineNs;
      if (stackNext !== undefined && (until === undefined || stackNext < until)) until = stackNext;
      // A stack deadline already due is served by the pump at the top of the loop.
      if (until !== undefined && until <= now) continue;
      this.process.block(ready, until);
    }
  }

  /** Runs `op` until it stops answering EAGAIN, waiting for a readiness change in between. */
  private blocking<T>(file: SocketFile, flags: number, op: () => T): T {
    const nonBlocking = (flags & MSG_DONTWAIT) !== 0 || (file.statusFlags & O_NONBLOCK) !== 0;
    for (;;) {
      try {
        return op();
      } catch (e) {
        if (!(e instanceof KernelError) || e.errno !== Errno.EAGAIN || nonBlocking) throw e;
      }
      this.awaitChange(file.socket);
    }
  }

  private toSocketAddress(a: SockAddr): SocketAddress {
    if (a.family !== AF_INET && a.family !== AF_INET6) throw new KernelError(Errno.EAFNOSUPPORT, `family ${a.family}`);
    const address = IpAddress.tryParse(a.address);
    if (!address) throw new KernelError(Errno.EINVAL, `address '${a.address}'`);
    if ((address.version === 4) !== (a.family === AF_INET))
      throw new KernelError(Errno.EINVAL, `'${a.address}' is not an ${a.family === AF_INET ? 'IPv4' : 'IPv6'} address`);
    if (!Number.isInteger(a.port) || a.port < 0 || a.port > 65535)
      throw new KernelError(Errno.EINVAL, `port ${a.port}`);
    return { address, port: a.port };
  }

  private toSockAddr(family: 4 | 6, a: SocketAddress): SockAddr {
    const address = family === 6 && a.address.version === 4 ? a.address.toV4Mapped() : a.address;
    return { family: address.version === 4 ? AF_INET : AF_INET6, address: addressText(address), port: a.port };
  }
}
