// Physical page allocator over a range of guest RAM: a binary buddy allocator.
// Addresses are byte offsets into guest RAM; device-visible buffers (virtqueue rings, I/O
// buffers) come from here so the VMM sees them where the guest put them. Metadata lives
// outside guest RAM (JS structures), like a kernel's struct page array.
import { Errno, KernelError } from '@osv-ts/kernel-api';

export const PAGE_SIZE = 4096;
const PAGE_SHIFT = 12;

export class PageAllocator {
  /** Free blocks per order (block size = PAGE_SIZE << order), by start address. */
  private readonly freeLists: Set<number>[] = [];
  /** Order of every allocated block, by start address. */
  private readonly allocated = new Map<number, number>();
  private freePages = 0;
  readonly totalPages: number;
  readonly maxOrder: number;

  constructor(
    /** First byte of the managed range; rounded up to a page boundary. */
    baseAddress: number,
    sizeBytes: number,
  ) {
    const start = Math.ceil(baseAddress / PAGE_SIZE) * PAGE_SIZE;
    const end = Math.floor((baseAddress + sizeBytes) / PAGE_SIZE) * PAGE_SIZE;
    this.totalPages = Math.max(0, (end - start) >> PAGE_SHIFT);
    this.maxOrder = Math.max(0, Math.floor(Math.log2(Math.max(1, this.totalPages))));
    for (let o = 0; o <= this.maxOrder; o++) this.freeLists.push(new Set());
    // Carve the range into the largest naturally aligned blocks that fit.
    let addr = start;
    while (addr < end) {
      let order = this.maxOrder;
      while (order > 0 && (addr % (PAGE_SIZE << order) !== 0 || addr + (PAGE_SIZE << order) > end)) order--;
      this.freeLists[order]!.add(addr);
      this.freePages += 1 << order;
      addr += PAGE_SIZE << order;
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

  /**
   * Allocates a physically contiguous block of at least `sizeBytes`, aligned to its own size
   * (a power-of-two number of pages). Throws KernelError(ENOMEM) when no block is large enough.
   */
  alloc(sizeBytes: number): number {
    const pages = Math.max(1, Math.ceil(sizeBytes / PAGE_SIZE));
    const order = Math.ceil(Math.log2(pages));
    let o = order;
    while (o <= this.maxOrder && this.freeLists[o]!.size === 0) o++;
    if (o > this.maxOrder) {
      throw new KernelError(Errno.ENOMEM, `no free block of ${PAGE_SIZE << order} bytes (${this.freeBytes} bytes free)`);
    }
    const list = this.freeLists[o]!;
    const addr = list.values().next().value as number;
    list.delete(addr);
    // Split down to the requested order, returning the upper halves to the free lists.
    while (o > order) {
      o--;
      this.freeLists[o]!.add(addr + (PAGE_SIZE << o));
    }
    this.allocated.set(addr, order);
    this.freePages -= 1 << order;
    return addr;
  }

  /** Frees a block returned by alloc(), merging it with its free buddies. */
  free(address: number): void {
    let order = this.allocated.get(address);
    if (order === undefined) throw new KernelError(Errno.EINVAL, `free of unallocated address 0x${address.toString(16)}`);
    this.allocated.delete(address);
    this.freePages += 1 << order;
    let addr = address;
    while (order < this.maxOrder) {
      const size = PAGE_SIZE << order;
      const buddy = addr ^ size;
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
    return PAGE_SIZE << order;
  }
}
