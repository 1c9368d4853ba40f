// UDP sockets (RFC 768 semantics, BSD API shape): bind, connect (a default peer and a
// filter), sendTo/recvFrom with datagram boundaries, a receive queue bounded by SO_RCVBUF
// (excess datagrams are dropped, as Linux does), and ICMP port-unreachable reported as
// ECONNREFUSED on connected sockets.
import { Errno, KernelError } from '@osv-ts/kernel-api';
import type { IpAddress, IpVersion } from '../wire/ip-address.js';
import {
  PollEvents,
  Socket,
  applicationAddress,
  internalAddress,
  type SocketAddress,
  type SocketOption,
} from './socket.js';

/** The part of the stack a UDP socket calls. */
export interface UdpHost {
  bindUdp(socket: UdpSocket, address: IpAddress, port: number): SocketAddress;
  unbindUdp(socket: UdpSocket): void;
  sendUdp(socket: UdpSocket, to: SocketAddress, data: Uint8Array): void;
  anyAddress(family: IpVersion): IpAddress;
}

export interface Datagram {
  data: Uint8Array;
  from: SocketAddress;
}

export class UdpSocket extends Socket {
  local: SocketAddress | undefined;
  remote: SocketAddress | undefined;
  receiveBufferBytes = 212_992;
  sendBufferBytes = 212_992;
  /** Pending asynchronous error (SO_ERROR). */
  error = 0;
  /** Datagrams dropped because the receive queue was full. */
  drops = 0;
  private readonly queue: Datagram[] = [];
  private queuedBytes = 0;

  constructor(
    private readonly host: UdpHost,
    readonly family: IpVersion,
  ) {
    super('udp');
  }

  bind(address: SocketAddress): void {
    if (this.closed) throw new KernelError(Errno.EBADF);
    if (this.local) throw new KernelError(Errno.EINVAL, 'already bound');
    this.local = this.host.bindUdp(this, internalAddress(this.family, this.v6Only, address.address), address.port);
  }

  connect(address: SocketAddress): void {
    if (this.closed) throw new KernelError(Errno.EBADF);
    const a = internalAddress(this.family, this.v6Only, address.address);
    if (!this.local) this.local = this.host.bindUdp(this, this.host.anyAddress(this.family), 0);
    this.remote = { address: a, port: address.port };
  }

  /** Sends one datagram; to the connected peer when `to` is omitted. Returns the bytes sent. */
  sendTo(data: Uint8Array, to?: SocketAddress): number {
    if (this.closed) throw new KernelError(Errno.EBADF);
    if (this.error) throw this.takeError();
    const given = to ?? this.remote;
    if (!given) throw new KernelError(Errno.EDESTADDRREQ);
    const dest = to ? { address: internalAddress(this.family, this.v6Only, to.address), port: to.port } : given;
    if (dest.port === 0) throw new KernelError(Errno.EINVAL, 'port 0');
    if (data.length > 65507) throw new KernelError(Errno.EMSGSIZE);
    if (dest.address.isBroadcast() && !this.broadcast) throw new KernelError(Errno.EACCES, 'SO_BROADCAST not set');
    if (!this.local) this.local = this.host.bindUdp(this, this.host.anyAddress(this.family), 0);
    this.host.sendUdp(this, dest, data);
    return data.length;
  }

  /** Receives one datagram into `out` (excess bytes are discarded, as recvfrom without MSG_TRUNC). */
  recvFrom(out: Uint8Array, peek = false): { bytes: number; from: SocketAddress; truncated: boolean } {
    if (this.closed) throw new KernelError(Errno.EBADF);
    const d = peek ? this.queue[0] : this.queue.shift();
    if (!d) {
      if (this.error) throw this.takeError();
      throw new KernelError(Errno.EAGAIN);
    }
    if (!peek) this.queuedBytes -= d.data.length;
    const n = Math.min(out.length, d.data.length);
    out.set(d.data.subarray(0, n));
    return {
      bytes: n,
      from: { address: applicationAddress(this.family, d.from.address), port: d.from.port },
      truncated: n < d.data.length,
    };
  }

  /** Size of the next datagram, or undefined (FIONREAD-like). */
  peekSize(): number | undefined {
    return this.queue[0]?.data.length;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.host.unbindUdp(this);
    this.queue.length = 0;
    this.notify();
  }

  setOption(name: SocketOption, value: number | boolean | string): void {
    switch (name) {
      case 'SO_REUSEADDR':
        this.reuseAddress = Boolean(value);
        break;
      case 'SO_BROADCAST':
        this.broadcast = Boolean(value);
        break;
      case 'SO_RCVBUF':
        this.receiveBufferBytes = clampBuffer(value);
        break;
      case 'SO_SNDBUF':
        this.sendBufferBytes = clampBuffer(value);
        break;
      case 'SO_BINDTODEVICE':
        this.boundDevice = String(value) || undefined;
        break;
      case 'IPV6_V6ONLY':
        if (this.family !== 6) throw new KernelError(Errno.ENOPROTOOPT, name);
        if (this.local) throw new KernelError(Errno.EINVAL, 'IPV6_V6ONLY after bind');
        this.v6Only = Boolean(value);
        break;
      default:
        throw new KernelError(Errno.ENOPROTOOPT, name);
    }
  }

  getOption(name: SocketOption): number | boolean | string | undefined {
    switch (name) {
      case 'SO_REUSEADDR':
        return this.reuseAddress;
      case 'SO_BROADCAST':
        return this.broadcast;
      case 'SO_RCVBUF':
        return this.receiveBufferBytes;
      case 'SO_SNDBUF':
        return this.sendBufferBytes;
      case 'SO_BINDTODEVICE':
        return this.boundDevice;
      case 'IPV6_V6ONLY':
        return this.family === 6 ? this.v6Only : undefined;
      case 'SO_ERROR': {
        const e = this.error;
        this.error = 0;
        return e;
      }
      default:
        throw new KernelError(Errno.ENOPROTOOPT, name);
    }
  }

  readiness(): number {
    if (this.closed) return PollEvents.NVAL;
    let r = PollEvents.OUT;
    if (this.queue.length > 0) r |= PollEvents.IN;
    if (this.error) r |= PollEvents.ERR;
    return r;
  }

  /** Stack → socket: a datagram arrived. */
  deliver(data: Uint8Array, from: SocketAddress): void {
    if (this.remote && (!this.remote.address.equals(from.address) || this.remote.port !== from.port)) return;
    if (this.queuedBytes + data.length > this.receiveBufferBytes) {
      this.drops++;
      return;
    }
    this.queue.push({ data: Uint8Array.from(data), from });
    this.queuedBytes += data.length;
    this.notify();
  }

  /** Stack → socket: an ICMP error for a datagram this socket sent. */
  deliverError(errno: number): void {
    if (!this.remote) return; // Linux reports ICMP errors only on connected UDP sockets
    this.error = errno;
    this.notify();
  }

  private takeError(): KernelError {
    const e = this.error;
    this.error = 0;
    return new KernelError(e);
  }
}

export function clampBuffer(value: number | boolean | string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new KernelError(Errno.EINVAL, 'buffer size');
  return Math.min(Math.max(Math.floor(n), 2048), 64 * 1024 * 1024);
}
