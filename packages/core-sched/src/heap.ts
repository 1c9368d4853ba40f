// The small-object allocator (kmalloc; OSv's memory::pool): power-of-two size classes from 16
// to 2048 bytes, each served from one-page slabs taken from the PageAllocator; larger or
// strongly aligned requests go to the page allocator directly. An object of class c is
// c-aligned (slabs are page aligned and slots are multiples of c), so alignment up to the page
// size costs only the rounding to the class. A slab whose last object is freed goes back to
// the page allocator at once, so freeing everything returns every page (no hidden caches).
import { Errno, KernelError } from '@osv-ts/kernel-api';
import { PAGE_SIZE, type PageAllocator } from './page-allocator.js';

export const HEAP_MIN_CLASS = 16;
export const HEAP_MAX_CLASS = 2048;

class Slab {
  /** Free slot indices, used as a stack. */
  readonly freeSlots: number[] = [];
  /** 1 where a slot is allocated: catches double and wild frees. */
  readonly inUse: Uint8Array;
  used = 0;
  constructor(
    readonly page: number,
    readonly classBytes: number,
  ) {
    const slots = PAGE_SIZE / classBytes;
    this.inUse = new Uint8Array(slots);
    for (let i = slots - 1; i >= 0; i--) this.freeSlots.push(i);
  }
}

export interface HeapStats {
  /** Live objects. */
  objects: number;
  /** Sum of the sizes callers asked for, of live objects. */
  requestedBytes: number;
  /** Sum of what live objects occupy (their class, or their page block). */
  allocatedBytes: number;
  /** Pages held by slabs, in bytes (the "Slab" line of /proc/meminfo). */
  slabBytes: number;
  /** Page blocks of large objects, in bytes. */
  largeBytes: number;
}

export class Heap {
  private readonly slabsByPage = new Map<number, Slab>();
  /** Slabs with at least one free slot, per class index. */
  private readonly partial: Set<Slab>[] = [];
  /** Requested size of every live object (exact accounting). */
  private readonly requested = new Map<number, number>();
  private readonly large = new Set<number>();
  readonly stats: HeapStats = { objects: 0, requestedBytes: 0, allocatedBytes: 0, slabBytes: 0, largeBytes: 0 };

  constructor(readonly pages: PageAllocator) {
    for (let c = HEAP_MIN_CLASS; c <= HEAP_MAX_CLASS; c *= 2) this.partial.push(new Set());
  }

  /**
   * Allocates `sizeBytes` aligned to `alignBytes` (a power of two). Throws KernelError(ENOMEM)
   * when guest RAM is exhausted and KernelError(EINVAL) for a bad size or alignment.
   */
  alloc(sizeBytes: number, alignBytes = 8): number {
    if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 0)
      throw new KernelError(Errno.EINVAL, `heap allocation of ${sizeBytes} bytes`);
    if (!(alignBytes > 0) || !Number.isSafeInteger(alignBytes) || (alignBytes & (alignBytes - 1)) !== 0) {
      throw new KernelError(Errno.EINVAL, `alignment ${alignBytes} is not a power of two`);
    }
    const want = Math.max(sizeBytes, alignBytes, HEAP_MIN_CLASS);
    let addr: number;
    let occupied: number;
    if (want <= HEAP_MAX_CLASS) {
      occupied = nextPowerOfTwo(want);
      addr = this.allocSmall(occupied);
    } else {
      addr = this.pages.alloc(sizeBytes, Math.max(alignBytes, PAGE_SIZE));
      occupied = this.pages.sizeOf(addr);
      this.large.add(addr);
      this.stats.largeBytes += occupied;
    }
    this.requested.set(addr, sizeBytes);
    this.stats.objects++;
    this.stats.requestedBytes += sizeBytes;
    this.stats.allocatedBytes += occupied;
    return addr;
  }

  /** Frees an object. Throws KernelError(EINVAL) for an address alloc() did not return or already freed. */
  free(address: number): void {
    const size = this.requested.get(address);
    if (size === undefined)
      throw new KernelError(Errno.EINVAL, `heap free of 0x${address.toString(16)}, which is not allocated`);
    this.requested.delete(address);
    this.stats.objects--;
    this.stats.requestedBytes -= size;
    if (this.large.delete(address)) {
      const bytes = this.pages.sizeOf(address);
      this.pages.free(address);
      this.stats.largeBytes -= bytes;
      this.stats.allocatedBytes -= bytes;
      return;
    }
    const page = address - (address % PAGE_SIZE);
    const slab = this.slabsByPage.get(page)!;
    const slot = (address - page) / slab.classBytes;
    slab.inUse[slot] = 0;
    slab.freeSlots.push(slot);
    slab.used--;
    this.stats.allocatedBytes -= slab.classBytes;
    const partial = this.partial[classIndex(slab.classBytes)]!;
    if (slab.used === 0) {
      partial.delete(slab);
      this.slabsByPage.delete(page);
      this.pages.free(page);
      this.stats.slabBytes -= PAGE_SIZE;
    } else {
      partial.add(slab);
    }
  }

  /** Bytes usable at `address` (malloc_usable_size). */
  usableSize(address: number): number {
    if (!this.requested.has(address))
      throw new KernelError(Errno.EINVAL, `0x${address.toString(16)} is not a heap object`);
    if (this.large.has(address)) return this.pages.sizeOf(address);
    return this.slabsByPage.get(address - (address % PAGE_SIZE))!.classBytes;
  }

  private allocSmall(classBytes: number): number {
    const partial = this.partial[classIndex(classBytes)]!;
    let slab: Slab | undefined = partial.values().next().value;
    if (slab === undefined) {
      const page = this.pages.alloc(PAGE_SIZE);
      slab = new Slab(page, classBytes);
      this.slabsByPage.set(page, slab);
      partial.add(slab);
      this.stats.slabBytes += PAGE_SIZE;
    }
    const slot = slab.freeSlots.pop()!;
    slab.inUse[slot] = 1;
    slab.used++;
    if (slab.freeSlots.length === 0) partial.delete(slab);
    return slab.page + slot * classBytes;
  }
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

function classIndex(classBytes: number): number {
  return Math.log2(classBytes / HEAP_MIN_CLASS);
}
