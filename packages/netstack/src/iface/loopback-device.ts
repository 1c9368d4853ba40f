// A loopback NetDevice: frames sent are queued and handed back by `drain()`, which the stack
// calls from poll(). Delivering later rather than inside transmit() keeps the stack free of
// re-entrant calls.
import type { NetDevice, NetOffloads } from '@osv-ts/kernel-api';

export class LoopbackDevice implements NetDevice {
  readonly name: string;
  readonly mac = new Uint8Array(6);
  readonly mtu: number;
  readonly offloads: NetOffloads = { txChecksum: false, rxChecksumVerified: true };
  readonly linkUp = true;
  private receiver: ((frame: Uint8Array) => void) | undefined;
  private queue: Uint8Array[] = [];

  constructor(name = 'lo', mtu = 65536) {
    this.name = name;
    this.mtu = mtu;
  }

  transmit(frame: Uint8Array): boolean {
    this.queue.push(frame);
    return true;
  }

  setReceiver(onFrame: (frame: Uint8Array) => void): void {
    this.receiver = onFrame;
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Delivers queued frames (including any queued while delivering, up to a bound). */
  drain(limit = 10_000): number {
    let n = 0;
    while (this.queue.length > 0 && n < limit) {
      const batch = this.queue;
      this.queue = [];
      for (const f of batch) {
        this.receiver?.(f);
        n++;
      }
    }
    return n;
  }
}
