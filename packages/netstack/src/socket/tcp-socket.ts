// TCP sockets over TcpConnection, with BSD semantics in non-blocking form: connect() answers
// EINPROGRESS and completion shows as writability (and SO_ERROR), accept() and recv() answer
// EAGAIN when nothing is ready. Blocking is the adapters' job: they wait on `waitQueue`.
import { Errno, KernelError } from '@osv-ts/kernel-api';
import type { TcpConfig } from '../tcp/tcp-config.js';
import type { TcpConnection } from '../tcp/tcp-connection.js';
import type { IpAddress, IpVersion } from '../wire/ip-address.js';
import {
  PollEvents,
  Socket,
  applicationAddress,
  internalAddress,
  type SocketAddress,
  type SocketOption,
} from './socket.js';
import { clampBuffer } from './udp-socket.js';

/** The part of the stack a TCP socket calls. */
export interface TcpSocketHost {
  readonly nowNs: number;
  bindTcp(socket: TcpSocket, address: IpAddress, port: number): SocketAddress;
  unbindTcp(socket: TcpSocket): void;
  listenTcp(socket: TcpSocket): void;
  connectTcp(socket: TcpSocket, remote: SocketAddress): TcpConnection;
  anyAddress(family: IpVersion): IpAddress;
}

export type ShutdownHow = 'read' | 'write' | 'both';

export class TcpSocket extends Socket {
  local: SocketAddress | undefined;
  connection: TcpConnection | undefined;
  /** Per-socket overrides of the stack's TCP defaults (SO_SNDBUF, TCP_NODELAY, ...). */
  readonly options: Partial<TcpConfig> = {};
  backlog = 0;
  listening = false;
  /** Connections handshaking on behalf of this listener (SYN-RECEIVED). */
  readonly synQueue = new Set<TcpConnection>();
  /** Established connections waiting for accept(). */
  readonly acceptQueue: TcpConnection[] = [];
  private readShut = false;
  private connectReported = false;

  constructor(
    private readonly host: TcpSocketHost,
    readonly family: IpVersion,
  ) {
    super('tcp');
  }

  /** Wraps a connection a listener accepted. */
  static accepted(
    host: TcpSocketHost,
    conn: TcpConnection,
    family: IpVersion = conn.endpoints.localAddress.version,
  ): TcpSocket {
    const s = new TcpSocket(host, family);
    s.local = { address: conn.endpoints.localAddress, port: conn.endpoints.localPort };
    s.attach(conn);
    s.connectReported = true;
    return s;
  }

  get remote(): SocketAddress | undefined {
    const c = this.connection;
    return c ? { address: c.endpoints.remoteAddress, port: c.endpoints.remotePort } : undefined;
  }

  bind(address: SocketAddress): void {
    this.checkOpen();
    if (this.local || this.connection) throw new KernelError(Errno.EINVAL, 'already bound');
    this.local = this.host.bindTcp(this, internalAddress(this.family, this.v6Only, address.address), address.port);
  }

  /** getsockname(): the local address as the application sees it (v4-mapped on a dual-stack socket). */
  sockName(): SocketAddress | undefined {
    return this.local && { address: applicationAddress(this.family, this.local.address), port: this.local.port };
  }

  /** getpeername(). */
  peerName(): SocketAddress | undefined {
    const r = this.remote;
    return r && { address: applicationAddress(this.family, r.address), port: r.port };
  }

  listen(backlog = 128): void {
    this.checkOpen();
    if (this.connection) throw new KernelError(Errno.EISCONN);
    if (!this.local) this.local = this.host.bindTcp(this, this.host.anyAddress(this.family), 0);
    this.backlog = Math.max(1, Math.min(backlog, 4096));
    if (!this.listening) {
      this.listening = true;
      this.host.listenTcp(this);
    }
  }

  /** Returns the next established connection, or throws EAGAIN. */
  accept(): TcpSocket {
    this.checkOpen();
    if (!this.listening) throw new KernelError(Errno.EINVAL, 'not listening');
    const conn = this.acceptQueue.shift();
    if (!conn) throw new KernelError(Errno.EAGAIN);
    return TcpSocket.accepted(this.host, conn, this.family);
  }

  /** Starts an active open. Throws EINPROGRESS the first time; EALREADY/EISCONN or the failure afterwards. */
  connect(remote: SocketAddress): void {
    this.checkOpen();
    if (this.listening) throw new KernelError(Errno.EINVAL, 'listening socket');
    remote = { address: internalAddress(this.family, this.v6Only, remote.address), port: remote.port };
    if (
      this.v6Only === false &&
      this.family === 6 &&
      remote.address.version === 4 &&
      this.local &&
      this.local.address.version === 6 &&
      !this.local.address.isUnspecified()
    ) {
      throw new KernelError(Errno.ENETUNREACH, 'IPv6-bound socket cannot reach an IPv4 peer');
    }
    const c = this.connection;
    if (c) {
      if (c.state === 'SYN-SENT' || c.state === 'SYN-RECEIVED') throw new KernelError(Errno.EALREADY);
      if (c.error) throw new KernelError(this.takeError());
      if (c.state !== 'CLOSED') {
        this.connectReported = true;
        throw new KernelError(Errno.EISCONN);
      }
      // A connection that failed (its error already read) or ended leaves the socket
      // unconnected, and Linux lets connect() start over on it.
      c.onEvent = undefined;
      this.connection = undefined;
    }
    if (remote.port === 0) throw new KernelError(Errno.ECONNREFUSED);
    this.connectReported = false;
    this.attach(this.host.connectTcp(this, remote));
    throw new KernelError(Errno.EINPROGRESS);
  }

  private attach(conn: TcpConnection): void {
    this.connection = conn;
    conn.onEvent = () => this.notify();
  }

  send(data: Uint8Array): number {
    this.checkOpen();
    const c = this.requireConnection();
    return c.send(data, this.host.nowNs);
  }

  /**
   * send() without exceptions for hot paths (libc's WASI binding): bytes taken, or a negative
   * errno (-EAGAIN when the send buffer is full). Building an Error per EAGAIN costs more than
   * the send itself.
   */
  write(data: Uint8Array): number {
    const c = this.connection;
    if (this.closed) return -Errno.EBADF;
    if (!c) return -Errno.ENOTCONN;
    if (c.established && !c.error && c.sendSpace === 0) return -Errno.EAGAIN;
    try {
      return c.send(data, this.host.nowNs);
    } catch (e) {
      if (e instanceof KernelError) return -e.errno;
      throw e;
    }
  }

  /** recv() without exceptions: bytes read (0 at end of stream), or a negative errno (-EAGAIN). */
  read(out: Uint8Array): number {
    const c = this.connection;
    if (this.closed) return -Errno.EBADF;
    if (!c) return -Errno.ENOTCONN;
    if (this.readShut) return 0;
    if (c.readable === 0 && !c.eof && !c.error && c.state !== 'CLOSED' && c.state !== 'LISTEN') return -Errno.EAGAIN;
    try {
      return c.recv(out, this.host.nowNs);
    } catch (e) {
      if (e instanceof KernelError) return -e.errno;
      throw e;
    }
  }

  /** recv(MSG_PEEK) without exceptions: bytes copied (not consumed), 0 at end of stream, or -errno. */
  peek(out: Uint8Array): number {
    const c = this.connection;
    if (this.closed) return -Errno.EBADF;
    if (!c) return -Errno.ENOTCONN;
    if (this.readShut) return 0;
    const n = c.peek(out);
    if (n >= 0) return n;
    return c.error ? -c.error : -Errno.EAGAIN;
  }

  /** Bytes that can be read now (FIONREAD). */
  available(): number {
    return this.connection?.readable ?? 0;
  }

  /** Reads into `out`; 0 at end of stream. Throws EAGAIN when no data is there yet. */
  recv(out: Uint8Array): number {
    this.checkOpen();
    const c = this.requireConnection();
    if (this.readShut) return 0;
    return c.recv(out, this.host.nowNs);
  }

  shutdown(how: ShutdownHow): void {
    this.checkOpen();
    const c = this.requireConnection();
    if (c.state === 'SYN-SENT') throw new KernelError(Errno.ENOTCONN);
    if (how !== 'write') this.readShut = true;
    if (how !== 'read') c.shutdownWrite(this.host.nowNs);
    this.notify();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const now = this.host.nowNs;
    if (this.listening) {
      for (const c of [...this.synQueue, ...this.acceptQueue]) c.abort(now);
      this.synQueue.clear();
      this.acceptQueue.length = 0;
    }
    if (this.connection) {
      this.connection.onEvent = undefined;
      this.connection.close(now);
    }
    this.host.unbindTcp(this);
    this.notify();
  }

  setOption(name: SocketOption, value: number | boolean | string): void {
    const o = this.options;
    const c = this.connection;
    const now = this.host.nowNs;
    switch (name) {
      case 'SO_REUSEADDR':
        this.reuseAddress = Boolean(value);
        return;
      case 'SO_RCVBUF':
        o.receiveBufferBytes = clampBuffer(value);
        if (c) c.config.receiveBufferBytes = Math.max(c.config.receiveBufferBytes, o.receiveBufferBytes);
        return;
      case 'SO_SNDBUF':
        o.sendBufferBytes = clampBuffer(value);
        if (c) c.config.sendBufferBytes = o.sendBufferBytes;
        return;
      case 'TCP_NODELAY':
        o.noDelay = Boolean(value);
        c?.setNoDelay(o.noDelay, now);
        return;
      case 'SO_KEEPALIVE':
        o.keepAlive = Boolean(value);
        c?.setKeepAlive(o.keepAlive, now);
        return;
      case 'TCP_KEEPIDLE':
      case 'TCP_KEEPINTVL':
      case 'TCP_KEEPCNT': {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 1) throw new KernelError(Errno.EINVAL, name);
        if (name === 'TCP_KEEPIDLE') o.keepIdleNs = n * 1e9;
        else if (name === 'TCP_KEEPINTVL') o.keepIntervalNs = n * 1e9;
        else o.keepCount = n;
        if (c) Object.assign(c.config, o);
        return;
      }
      case 'SO_BINDTODEVICE':
        this.boundDevice = String(value) || undefined;
        return;
      case 'IPV6_V6ONLY':
        if (this.family !== 6) throw new KernelError(Errno.ENOPROTOOPT, name);
        if (this.local) throw new KernelError(Errno.EINVAL, 'IPV6_V6ONLY after bind');
        this.v6Only = Boolean(value);
        return;
      default:
        throw new KernelError(Errno.ENOPROTOOPT, name);
    }
  }

  getOption(name: SocketOption): number | boolean | string | undefined {
    const cfg = this.connection?.config;
    switch (name) {
      case 'SO_REUSEADDR':
        return this.reuseAddress;
      case 'SO_RCVBUF':
        return cfg?.receiveBufferBytes ?? this.options.receiveBufferBytes;
      case 'SO_SNDBUF':
        return cfg?.sendBufferBytes ?? this.options.sendBufferBytes;
      case 'TCP_NODELAY':
        return cfg?.noDelay ?? this.options.noDelay ?? false;
      case 'SO_KEEPALIVE':
        return cfg?.keepAlive ?? this.options.keepAlive ?? false;
      case 'SO_ERROR':
        return this.takeError();
      case 'SO_BINDTODEVICE':
        return this.boundDevice;
      case 'IPV6_V6ONLY':
        if (this.family !== 6) throw new KernelError(Errno.ENOPROTOOPT, name);
        return this.v6Only;
      default:
        throw new KernelError(Errno.ENOPROTOOPT, name);
    }
  }

  readiness(): number {
    if (this.closed) return PollEvents.NVAL;
    if (this.listening) return this.acceptQueue.length > 0 ? PollEvents.IN : 0;
    const c = this.connection;
    if (!c) return PollEvents.OUT | PollEvents.HUP; // Linux: an unconnected stream socket polls HUP
    let r = 0;
    if (c.error) r |= PollEvents.ERR;
    if (c.readable > 0 || c.eof || this.readShut) r |= PollEvents.IN;
    if (c.eof) r |= PollEvents.RDHUP;
    if (c.state === 'CLOSED') r |= PollEvents.HUP | PollEvents.IN | (this.connectReported ? 0 : PollEvents.OUT);
    else if (c.established && c.sendSpace > 0) r |= PollEvents.OUT;
    else if (
      (c.state === 'FIN-WAIT-1' ||
        c.state === 'FIN-WAIT-2' ||
        c.state === 'CLOSING' ||
        c.state === 'TIME-WAIT' ||
        c.state === 'LAST-ACK') &&
      c.eof
    ) {
      r |= PollEvents.HUP;
    }
    return r;
  }

  private takeError(): number {
    const c = this.connection;
    if (!c || !c.error) return 0;
    const e = c.error;
    c.error = 0;
    return e;
  }

  private requireConnection(): TcpConnection {
    const c = this.connection;
    if (!c) throw new KernelError(Errno.ENOTCONN);
    return c;
  }

  private checkOpen(): void {
    if (this.closed) throw new KernelError(Errno.EBADF);
  }
}
