// Physical page allocator over a range of guest RAM: a binary buddy allocator (Knowlton 1965;
// the Linux zone allocator's scheme). Addresses are byte offsets into guest RAM; device-visible
// buffers (virtqueue rings, I/O buffers, the page cache) come from here so the VMM sees them
// where the guest put them. Metadata lives outside guest RAM (JS structures), like a kernel's
// struct page array, so a guest bug cannot corrupt it.
//
// A request is rounded up to a power-of-two number of pages and the block is aligned to its own
// size; the rounding is counted as used memory (exact accounting, not requested bytes).
//
// Pages can be *reserved* for a consumer that lives outside guest RAM but must count against it
// (the app's wasm linear memory, see page-reservation.ts): alloc() never hands out the last
// `reservedBytes` of free memory, and the reservation's owner takes pages from it as it grows.
import { Errno, KernelError } from '@osv-ts/kernel-api';
import { PageReservation } from './page-reservation.js';

export const PAGE_SIZE = 4096;

export interface PageAllocatorStats {
  allocations: number;
  frees: number;
  failures: number;
}

export class PageAllocator {
  /** Free blocks per order (block size = blockBytes(order)), by start address. */
  private readonly freeLists: Set<number>[] = [];
  /** Order of every allocated block, by start address. */
  private readonly allocated = new Map<number, number>();
  private freePages = 0;
  /** Free pages promised to reservations: alloc() leaves them alone. */
  private reservedPages = 0;
  readonly totalPages: number;
  readonly maxOrder: number;
  /** First managed byte (page aligned). */
  readonly start: number;
  /** One past the last managed byte. */
  readonly end: number;
  readonly stats: PageAllocatorStats = { allocations: 0, frees: 0, failures: 0 };

  constructor(
    /** First byte of the managed range; rounded up to a page boundary. */
    baseAddress: number,
    sizeBytes: number,
  ) {
    if (!Number.isSafeInteger(baseAddress) || baseAddress < 0 || !Number.isSafeInteger(sizeBytes) || sizeBytes < 0) {
      throw new KernelError(Errno.EINVAL, `bad page allocator range ${baseAddress}+${sizeBytes}`);
    }
    const start = Math.ceil(baseAddress / PAGE_SIZE) * PAGE_SIZE;
    const end = Math.max(start, Math.floor((baseAddress + sizeBytes) / PAGE_SIZE) * PAGE_SIZE);
    this.start = start;
    this.end = end;
    this.totalPages = (end - start) / PAGE_SIZE;
    this.maxOrder = Math.max(0, Math.floor(Math.log2(Math.max(1, this.totalPages))));
    for (let o = 0; o <= this.maxOrder; o++) this.freeLists.push(new Set());
    // Carve the range into the largest naturally aligned blocks that fit.
    let addr = start;
    while (addr < end) {
      let order = this.maxOrder;
      while (order > 0 && (addr % blockBytes(order) !== 0 || addr + blockBytes(order) > end)) order--;
      this.freeLists[order]!.add(addr);
      this.freePages += 2 ** order;
      addr += blockBytes(order);
    }
  }

  get freeBytes(): number {
    return this.freePages * PAGE_SIZE;
  }

  get usedBytes(): number {
    return (this.totalPages - this.freePages) * PAGE_SIZE;
  }

  get totalBytes(): number {
    return this.totalPages * PAGE_SIZE;
  }

  /** Free bytes promised to reservations (counted in freeBytes: nobody uses them yet). */
  get reservedBytes(): number {
    return this.reservedPages * PAGE_SIZE;
  }

  /** Free bytes alloc() may still hand out: freeBytes less what reservations hold. */
  get availableBytes(): number {
    return (this.freePages - this.reservedPages) * PAGE_SIZE;
  }

  /**
   * Holds back `sizeBytes` (rounded up to pages) of free memory for one consumer; throws
   * KernelError(ENOMEM) when less than that is available. See PageReservation.
   */
  reserve(sizeBytes: number): PageReservation {
    if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 0)
      throw new KernelError(Errno.EINVAL, `reservation of ${sizeBytes} bytes`);
    const pages = Math.ceil(sizeBytes / PAGE_SIZE);
    if (pages > this.freePages - this.reservedPages) {
      this.stats.failures++;
      throw new KernelError(
        Errno.ENOMEM,
        `cannot reserve ${pages * PAGE_SIZE} bytes (${this.availableBytes} bytes available)`,
      );
    }
    this.reservedPages += pages;
    return new PageReservation(this, pages * PAGE_SIZE, {
      take: (bytes) => this.takeReserved(bytes),
      unreserve: (bytes) => {
        this.reservedPages -= bytes / PAGE_SIZE;
      },
    });
  }

  /**
   * Allocates `sizeBytes` (a page multiple, at most reservedBytes) out of the reserved pages, as
   * blocks of any order: the consumer needs the accounting, not contiguity.
   */
  private takeReserved(sizeBytes: number): number[] {
    let pages = sizeBytes / PAGE_SIZE;
    if (!Number.isInteger(pages) || pages < 0 || pages > this.reservedPages)
      throw new KernelError(Errno.EINVAL, `taking ${sizeBytes} bytes from ${this.reservedBytes} reserved`);
    this.reservedPages -= pages;
    const blocks: number[] = [];
    while (pages > 0) {
      // The largest block that fits what is left; reservedPages <= freePages guarantees that
      // free blocks of at least `pages` pages exist in total, so this ends.
      let order = Math.min(this.maxOrder, Math.floor(Math.log2(pages)));
      while (order > 0 && this.largestFreeOrder() < order) order--;
      const addr = this.allocOrder(order);
      blocks.push(addr);
      pages -= 2 ** order;
    }
    return blocks;
  }

  private largestFreeOrder(): number {
    for (let o = this.maxOrder; o >= 0; o--) if (this.freeLists[o]!.size > 0) return o;
    return -1;
  }

  /** Size of the largest block alloc() could return now. */
  get largestFreeBytes(): number {
    for (let o = this.maxOrder; o >= 0; o--) if (this.freeLists[o]!.size > 0) return blockBytes(o);
    return 0;
  }

  /** Free blocks as [address, bytes], smallest order first (for invariant checks and /proc/buddyinfo). */
  *freeBlocks(): IterableIterator<[number, number]> {
    for (let o = 0; o <= this.maxOrder; o++) for (const a of this.freeLists[o]!) yield [a, blockBytes(o)];
  }

  /** Count of free blocks per order, as Linux's /proc/buddyinfo prints it. */
  buddyInfo(): number[] {
    return this.freeLists.map((l) => l.size);
  }

  /**
   * Allocates a physically contiguous block of at least `sizeBytes`, aligned to its own size
   * and to `alignBytes` (a power of two). Throws KernelError(ENOMEM) when no block is large
   * enough, KernelError(EINVAL) for a nonsensical request.
   */
  alloc(sizeBytes: number, alignBytes = PAGE_SIZE): number {
    if (!(sizeBytes >= 0) || !Number.isFinite(sizeBytes))
      throw new KernelError(Errno.EINVAL, `page allocation of ${sizeBytes} bytes`);
    if (!(alignBytes > 0) || (alignBytes & (alignBytes - 1)) !== 0)
      throw new KernelError(Errno.EINVAL, `alignment ${alignBytes} is not a power of two`);
    const pages = Math.max(1, Math.ceil(Math.max(sizeBytes, alignBytes) / PAGE_SIZE));
    const order = orderOf(pages);
    let o = order;
    while (o <= this.maxOrder && this.freeLists[o]!.size === 0) o++;
    if (o > this.maxOrder || 2 ** order > this.freePages - this.reservedPages) {
      this.stats.failures++;
      const held = this.reservedPages > 0 ? `, ${this.reservedBytes} of them reserved` : '';
      throw new KernelError(
        Errno.ENOMEM,
        `no free block of ${PAGE_SIZE * 2 ** order} bytes (${this.freeBytes} bytes free${held})`,
      );
    }
    return this.allocOrder(order);
  }

  /** Takes a block of `order` (one must be free at `order` or above), splitting larger ones. */
  private allocOrder(order: number): number {
    let o = order;
    while (this.freeLists[o]!.size === 0) o++;
    const list = this.freeLists[o]!;
    const addr = list.values().next().value as number;
    list.delete(addr);
    // Split down to the requested order, returning the upper halves to the free lists.
    while (o > order) {
      o--;
      this.freeLists[o]!.add(addr + blockBytes(o));
    }
    this.allocated.set(addr, order);
    this.freePages -= 2 ** order;
    this.stats.allocations++;
    return addr;
  }

  /** Frees a block returned by alloc(), merging it with its free buddies. */
  free(address: number): void {
    let order = this.allocated.get(address);
    if (order === undefined)
      throw new KernelError(Errno.EINVAL, `free of unallocated address 0x${address.toString(16)}`);
    this.allocated.delete(address);
    this.freePages += 2 ** order;
    this.stats.frees++;
    let addr = address;
    while (order < this.maxOrder) {
      const size = blockBytes(order);
      // Blocks are aligned to their size in absolute addresses (see the constructor); plain
      // arithmetic instead of `addr ^ size` keeps addresses above 2^31 right.
      const buddy = Math.floor(addr / size) % 2 === 0 ? addr + size : addr - size;
      const list = this.freeLists[order]!;
      if (!list.has(buddy)) break;
      list.delete(buddy);
      addr = Math.min(addr, buddy);
      order++;
    }
    this.freeLists[order]!.add(addr);
  }

  /** Size in bytes of the allocated block at `address`. */
  sizeOf(address: number): number {
    const order = this.allocated.get(address);
    if (order === undefined) throw new KernelError(Errno.EINVAL, `not an allocated block: 0x${address.toString(16)}`);
    return blockBytes(order);
  }

  isAllocated(address: number): boolean {
    return this.allocated.has(address);
  }
}

function blockBytes(order: number): number {
  return PAGE_SIZE * 2 ** order;
}

function orderOf(pages: number): number {
  let order = 0;
  while (2 ** order < pages) order++;
  return order;
}
