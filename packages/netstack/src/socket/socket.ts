// The socket core shared by UDP and TCP: readiness bits (Linux poll.h values, which libc maps
// to WASI's), a WaitQueue that is woken whenever readiness may have changed, and options.
import { WaitQueue } from '@osv-ts/core-sched';
import { Errno, KernelError } from '@osv-ts/kernel-api';
import type { IpAddress, IpVersion } from '../wire/ip-address.js';

/** poll(2) event bits as Linux numbers them. */
export const PollEvents = {
  IN: 0x001,
  PRI: 0x002,
  OUT: 0x004,
  ERR: 0x008,
  HUP: 0x010,
  NVAL: 0x020,
  RDHUP: 0x2000,
} as const;

export interface SocketAddress {
  address: IpAddress;
  port: number;
}

/** Socket options the core understands (names after setsockopt(2)). */
export type SocketOption =
  | 'SO_REUSEADDR'
  | 'SO_RCVBUF'
  | 'SO_SNDBUF'
  | 'SO_KEEPALIVE'
  | 'SO_BROADCAST'
  | 'SO_ERROR'
  | 'SO_BINDTODEVICE'
  | 'TCP_NODELAY'
  | 'TCP_KEEPIDLE'
  | 'TCP_KEEPINTVL'
  | 'TCP_KEEPCNT'
  | 'IPV6_V6ONLY';

export abstract class Socket {
  readonly waitQueue: WaitQueue;
  reuseAddress = false;
  broadcast = false;
  /**
   * IPV6_V6ONLY. False (Linux's default): an IPv6 socket bound to :: also serves IPv4, whose
   * peers it sees as v4-mapped addresses (RFC 3493 §3.7).
   */
  v6Only = false;
  /** SO_BINDTODEVICE: interface name, or undefined. */
  boundDevice: string | undefined;
  closed = false;

  constructor(name: string) {
    this.waitQueue = new WaitQueue(name);
  }

  /** The PollEvents that hold now. */
  abstract readiness(): number;

  /** Wakes every waiter so it re-checks readiness (WaitQueue waiters re-check their condition). */
  notify(): void {
    if (this.waitQueue.size > 0) this.waitQueue.wakeAll();
  }
}

/**
 * The address the stack works with for one an application passed: v4-mapped IPv6 addresses on
 * a dual-stack IPv6 socket become IPv4; mismatched families are EAFNOSUPPORT.
 */
export function internalAddress(family: IpVersion, v6Only: boolean, a: IpAddress): IpAddress {
  if (a.version !== family) throw new KernelError(Errno.EAFNOSUPPORT);
  if (family === 6 && a.isV4Mapped()) {
    if (v6Only) throw new KernelError(Errno.EINVAL, 'v4-mapped address on an IPV6_V6ONLY socket');
    return a.toV4();
  }
  return a;
}

/** The address an application sees: IPv4 peers of an IPv6 socket appear v4-mapped. */
export function applicationAddress(family: IpVersion, a: IpAddress): IpAddress {
  return family === 6 && a.version === 4 ? a.toV4Mapped() : a;
}
