// The socket core shared by UDP and TCP: readiness bits (Linux poll.h values, which libc maps
// to WASI's), a WaitQueue that is woken whenever readiness may have changed, and options.
import { WaitQueue } from '@osv-ts/core-sched';
import type { IpAddress } from '../wire/ip-address.js';

/** poll(2) event bits as Linux numbers them. */
export const PollEvents = { IN: 0x001, PRI: 0x002, OUT: 0x004, ERR: 0x008, HUP: 0x010, NVAL: 0x020, RDHUP: 0x2000 } as const;

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
  | 'TCP_KEEPCNT';

export abstract class Socket {
  readonly waitQueue: WaitQueue;
  reuseAddress = false;
  broadcast = false;
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
