// Guest RAM promised to a consumer that grows on its own, out of the kernel's sight: the app's
// WebAssembly linear memory. The memory itself is a separate buffer (a wasm Memory cannot live
// inside the guest RAM SharedArrayBuffer), but `-m` is the guest's whole memory, so the app's
// pages are charged here: the reservation holds back its maximum from the kernel's allocations
// (alloc() fails before it would eat into it), and `charge(bytes)` turns the part the app now
// uses into allocated pages, so free memory (/proc/meminfo's MemFree) falls as the app grows.
// The charged pages are never touched in guest RAM, so the host never backs them twice.
//
// What it leaves out: charging is done when the kernel looks (a memory figure is read, the app
// exits), not at the instant memory.grow runs; the cap itself never depends on that timing,
// because the whole maximum is held back from the start.
import { Errno, KernelError } from '@osv-ts/kernel-api';
import { PAGE_SIZE, type PageAllocator } from './page-allocator.js';

/** What a reservation needs from its allocator (kept off the allocator's public surface). */
export interface ReservedPages {
  /** Allocates `bytes` (a page multiple) of reserved pages; returns the blocks' addresses. */
  take(bytes: number): number[];
  /** Returns `bytes` (a page multiple) of untaken reserved pages to general use. */
  unreserve(bytes: number): void;
}

export class PageReservation {
  private readonly blocks: number[] = [];
  private charged = 0;
  private released = false;

  constructor(
    private readonly pages: PageAllocator,
    /** The most this reservation can ever charge, a page multiple. */
    readonly sizeBytes: number,
    private readonly reserved: ReservedPages,
  ) {}

  /** Bytes charged so far (allocated pages standing for the consumer's memory). */
  get chargedBytes(): number {
    return this.charged;
  }

  /**
   * Records that the consumer now uses `totalBytes`: allocates the growth since the last
   * charge out of the reservation. Memory never shrinks (WebAssembly memories cannot), so a
   * smaller figure is ignored. Throws KernelError(ENOMEM) past the reservation's size.
   */
  charge(totalBytes: number): void {
    if (this.released) throw new KernelError(Errno.EINVAL, 'charge to a released page reservation');
    const want = Math.ceil(totalBytes / PAGE_SIZE) * PAGE_SIZE;
    if (want <= this.charged) return;
    if (want > this.sizeBytes)
      throw new KernelError(Errno.ENOMEM, `${want} bytes exceed the ${this.sizeBytes}-byte reservation`);
    for (const b of this.reserved.take(want - this.charged)) this.blocks.push(b);
    this.charged = want;
  }

  /** Frees every charged page and returns the untaken rest of the reservation. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const b of this.blocks) this.pages.free(b);
    this.blocks.length = 0;
    this.reserved.unreserve(this.sizeBytes - this.charged);
  }
}
