// The TAP back-end as a device thread runs it (vhost-net's model): transmit is a write(2) of the
// batch to the FIFO osv-tap-relay reads, straight from the device thread that drained the
// guest's transmit queue; receive comes from a reader thread (tap-reader-entry.ts) through a
// FrameRing, drained by poll() in the device thread's loop before it serves the queues. Both
// FIFOs are the ones TapBackend made for the relay (tap-backend.ts, `threaded`).
import { closeSync, openSync, writeSync } from 'node:fs';
import type { GuestOffloads, NetBackend } from '@osv-ts/drivers-virtio';
import type { ThreadBackend } from '../device-thread/device-service-loop.js';
import { FrameRing } from './frame-ring.js';
import { encodeStreamFrame } from './frame-stream.js';
import { tapOffloadRecord } from './tap-offload-record.js';

export interface TapFifoSpec {
  readonly kind: 'tap-fifo';
  /** The relay writes the TAP's frames here; the reader thread reads them. */
  readonly rxPath: string;
  /** The device thread writes the guest's frames here; the relay reads them. */
  readonly txPath: string;
  readonly vnetHeader: boolean;
  readonly mtu: number;
}

/** Received frames in flight between the reader and the device thread (a TAP queue's worth). */
export const TAP_RING_BYTES = 8 << 20;

export class ThreadedTapBackend implements NetBackend, ThreadBackend {
  readonly vnetHeader: boolean;
  readonly mtu: number;
  readonly counters = { framesOut: 0, framesIn: 0, bytesOut: 0, bytesIn: 0 };
  private deliver: ((frame: Uint8Array, checksumValid: boolean) => void) | undefined;
  private readonly ring: FrameRing;
  private readonly txFd: number;
  private batch: Uint8Array[] = [];

  /** `ring`: where the reader thread (started by the VMM, DeviceThread) puts received frames. */
  constructor(spec: TapFifoSpec, ring: SharedArrayBuffer) {
    this.vnetHeader = spec.vnetHeader;
    this.mtu = spec.mtu;
    this.ring = new FrameRing(ring);
    this.txFd = openSync(spec.txPath, 'w');
  }

  connect(deliver: (frame: Uint8Array, checksumValid: boolean) => void): void {
    this.deliver = deliver;
  }

  setGuestOffloads(offloads: GuestOffloads): void {
    if (this.vnetHeader) this.write(tapOffloadRecord(offloads));
  }

  send(frame: Uint8Array): void {
    this.counters.framesOut++;
    this.counters.bytesOut += frame.length;
    this.batch.push(encodeStreamFrame(frame));
  }

  /** The device drained its transmit queue: the batch goes to the relay in one write. */
  flush(): void {
    const batch = this.batch;
    if (batch.length === 0) return;
    this.batch = [];
    if (batch.length === 1) return this.write(batch[0]!);
    let n = 0;
    for (const b of batch) n += b.length;
    const all = new Uint8Array(n);
    let at = 0;
    for (const b of batch) {
      all.set(b, at);
      at += b.length;
    }
    this.write(all);
  }

  /** ThreadBackend: hands the device what the reader received; whether there was any. */
  poll(): boolean {
    let any = false;
    let frame;
    while ((frame = this.ring.pop()) !== undefined) {
      any = true;
      this.counters.framesIn++;
      this.counters.bytesIn += frame.length;
      this.deliver?.(frame, false);
    }
    return any;
  }

  close(): void {
    closeSync(this.txFd);
  }

  private write(bytes: Uint8Array): void {
    // A blocking FIFO: a relay that falls behind holds the device thread (back-pressure on the
    // guest's transmit queue) instead of frames piling up here.
    for (let at = 0; at < bytes.length;) at += writeSync(this.txFd, bytes, at, bytes.length - at);
  }
}
