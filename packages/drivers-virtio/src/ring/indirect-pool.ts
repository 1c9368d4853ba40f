// A fixed pool of indirect descriptor tables (virtio 1.2 §2.7.5.3) carved from one DMA
// allocation: drivers with a bounded number of requests in flight never allocate per request.
import type { DmaAllocator } from '../guest/mmio-transport.js';
import type { IndirectTableAllocator } from '../guest/guest-virtqueue.js';
import { DESC_SIZE } from './split-ring-layout.js';

export class IndirectTablePool implements IndirectTableAllocator {
  private readonly available: number[] = [];
  readonly base: number;

  constructor(
    dma: DmaAllocator,
    readonly tables: number,
    readonly maxDescriptors: number,
  ) {
    this.base = dma.alloc(tables * maxDescriptors * DESC_SIZE);
    for (let i = tables - 1; i >= 0; i--) this.available.push(this.base + i * maxDescriptors * DESC_SIZE);
  }

  /** A table for up to maxDescriptors, or undefined (the queue then uses direct descriptors). */
  alloc(sizeBytes: number): number | undefined {
    if (sizeBytes > this.maxDescriptors * DESC_SIZE) return undefined;
    return this.available.pop();
  }

  free(address: number): void {
    this.available.push(address);
  }

  get freeTables(): number {
    return this.available.length;
  }
}
