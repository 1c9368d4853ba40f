// Echo ("ping") sockets: ICMP Echo Request/Reply (RFC 792) and ICMPv6 Echo (RFC 4443 §4),
// matched by identifier, like Linux's unprivileged SOCK_DGRAM/IPPROTO_ICMP sockets.
import { Errno, KernelError } from '@osv-ts/kernel-api';
import type { IpAddress, IpVersion } from '../wire/ip-address.js';
import { PollEvents, Socket } from './socket.js';

export interface EchoReply {
  from: IpAddress;
  sequence: number;
  payload: Uint8Array;
  receivedAtNs: number;
}

export class PingSocket extends Socket {
  private readonly replies: EchoReply[] = [];

  constructor(
    readonly family: IpVersion,
    readonly identifier: number,
    private readonly sendFn: (dst: IpAddress, seq: number, payload: Uint8Array) => void,
    private readonly onClose: () => void,
  ) {
    super('ping');
  }

  send(destination: IpAddress, sequence: number, payload: Uint8Array = new Uint8Array(0)): void {
    if (this.closed) throw new KernelError(Errno.EBADF);
    if (destination.version !== this.family) throw new KernelError(Errno.EAFNOSUPPORT);
    this.sendFn(destination, sequence & 0xffff, payload);
  }

  receive(): EchoReply {
    const r = this.replies.shift();
    if (!r) throw new KernelError(Errno.EAGAIN);
    return r;
  }

  close(): void {
    this.closed = true;
    this.onClose();
  }

  readiness(): number {
    return this.closed ? PollEvents.NVAL : PollEvents.OUT | (this.replies.length ? PollEvents.IN : 0);
  }

  deliver(from: IpAddress, sequence: number, payload: Uint8Array, nowNs: number): void {
    if (this.closed || from.version !== this.family || this.replies.length >= 64) return;
    this.replies.push({ from, sequence, payload: Uint8Array.from(payload), receivedAtNs: nowNs });
    this.notify();
  }
}
