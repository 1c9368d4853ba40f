// /proc/meminfo-style figures (Linux Documentation/filesystems/proc.rst, "meminfo") from the
// page allocator and the heap. Values are in KiB, as the file prints them.
import type { Heap } from './heap.js';
import type { PageAllocator } from './page-allocator.js';

export interface MemInfo {
  MemTotal: number;
  MemFree: number;
  MemAvailable: number;
  Buffers: number;
  Cached: number;
  Slab: number;
  /** Largest contiguous free block: not a Linux field, but what an OOM diagnosis needs. */
  LargestFreeBlock: number;
}

export interface MemInfoExtras {
  /** Bytes of page cache the VFS holds (reclaimable, so counted in MemAvailable). */
  cachedBytes?: number;
  buffersBytes?: number;
}

export function memInfo(pages: PageAllocator, heap?: Heap, extras: MemInfoExtras = {}): MemInfo {
  const kib = (bytes: number): number => Math.floor(bytes / 1024);
  const cached = extras.cachedBytes ?? 0;
  const buffers = extras.buffersBytes ?? 0;
  return {
    MemTotal: kib(pages.totalBytes),
    MemFree: kib(pages.freeBytes),
    MemAvailable: kib(pages.freeBytes + cached + buffers),
    Buffers: kib(buffers),
    Cached: kib(cached),
    Slab: kib(heap?.stats.slabBytes ?? 0),
    LargestFreeBlock: kib(pages.largestFreeBytes),
  };
}

/** The text of /proc/meminfo for `info`. */
export function formatMemInfo(info: MemInfo): string {
  let out = '';
  for (const [key, value] of Object.entries(info)) out += `${`${key}:`.padEnd(16)}${String(value).padStart(8)} kB\n`;
  return out;
}
