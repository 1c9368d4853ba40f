// virtio-rng driver (virtio 1.2 §5.4.6) as kernel-api's Entropy: a fill posts one DMA buffer
// per 4 KiB and blocks in the scheduler until the device returns it.
import { Errno, KernelError, type Entropy } from '@osv-ts/kernel-api';
import { WaitQueue, type Scheduler } from '@osv-ts/core-sched';
import type { GuestMemory } from '../guest-memory.js';
import type { GuestVirtqueue } from '../guest/guest-virtqueue.js';
import type { DmaAllocator, VirtioMmioTransport } from '../guest/mmio-transport.js';
import { Feature, INT_CONFIG, bit } from '../mmio/registers.js';
import { RNG_REQUESTQ } from './rng-device.js';

const BUFFER_BYTES = 4096;

export class VirtioRngDriver implements Entropy {
  private queue!: GuestVirtqueue<number>;
  private buffer = 0;
  private returned = -1;
  private broken = false;
  readonly used = new WaitQueue('virtio-rng');
  readonly counters = { requests: 0, bytes: 0, interrupts: 0 };

  constructor(
    readonly name: string,
    private readonly transport: VirtioMmioTransport,
    private readonly mem: GuestMemory,
    private readonly dma: DmaAllocator,
    private readonly sched: Scheduler,
  ) {}

  init(): void {
    this.transport.negotiate(bit(Feature.EVENT_IDX));
    this.queue = this.transport.setupQueue<number>(RNG_REQUESTQ, 8, this.dma);
    this.buffer = this.dma.alloc(BUFFER_BYTES);
    this.transport.driverOk();
  }

  fill(buf: Uint8Array): void {
    for (let at = 0; at < buf.length;) {
      const want = Math.min(BUFFER_BYTES, buf.length - at);
      this.returned = -1;
      this.queue.add([], [{ address: this.buffer, length: want }], this.counters.requests++);
      if (this.queue.publish()) this.transport.notify(RNG_REQUESTQ);
      this.sched.block(() => {
        this.reap();
        return this.returned >= 0 || this.broken;
      });
      if (this.returned < 0) throw new KernelError(Errno.EIO, `${this.name}: device needs reset`);
      // §5.4.6.1: the device may return fewer bytes than asked for; ask again for the rest.
      const n = Math.min(this.returned, want);
      buf.set(this.mem.bytes.subarray(this.buffer, this.buffer + n), at);
      at += n;
      this.counters.bytes += n;
    }
  }

  onInterrupt(): void {
    this.counters.interrupts++;
    if (this.transport.takeInterrupt() & INT_CONFIG && this.transport.needsReset()) this.broken = true;
    this.reap();
    this.used.wakeAll();
  }

  private reap(): void {
    let u;
    while ((u = this.queue.takeUsed()) !== undefined) this.returned = u.writtenBytes;
  }
}
