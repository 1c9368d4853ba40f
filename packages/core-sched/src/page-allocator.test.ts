import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Errno, KernelError } from '@osv-ts/kernel-api';
import { PAGE_SIZE, PageAllocator } from './page-allocator.js';
import { Heap } from './heap.js';
import { formatMemInfo, memInfo } from './meminfo.js';

type Op = { alloc: true; size: number; align: number } | { alloc: false; pick: number };

const ops = (maxSize: number, maxAlignLog2: number): fc.Arbitrary<Op[]> =>
  fc.array(
    fc.oneof(
      fc.record({
        alloc: fc.constant(true as const),
        size: fc.integer({ min: 0, max: maxSize }),
        align: fc.integer({ min: 0, max: maxAlignLog2 }).map((l) => 2 ** l),
      }),
      fc.record({ alloc: fc.constant(false as const), pick: fc.nat() }),
    ),
    { maxLength: 300 },
  );

function expectNoOverlap(blocks: [number, number][]): void {
  const sorted = [...blocks].sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < sorted.length; i++)
    expect(sorted[i - 1]![0] + sorted[i - 1]![1]).toBeLessThanOrEqual(sorted[i]![0]);
}

describe('PageAllocator (buddy)', () => {
  it('never overlaps blocks, keeps them aligned and in range, accounts exactly, and coalesces fully', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 300 }),
        ops(70_000, 16),
        (basePages, pages, seq) => {
          const base = basePages * PAGE_SIZE + 100; // unaligned base: rounded up
          const pa = new PageAllocator(base, pages * PAGE_SIZE);
          const initialFree = [...pa.freeBlocks()].sort((a, b) => a[0] - b[0]);
          const live = new Map<number, number>();
          for (const op of seq) {
            if (op.alloc) {
              try {
                const addr = pa.alloc(op.size, op.align);
                const size = pa.sizeOf(addr);
                expect(size).toBeGreaterThanOrEqual(Math.max(op.size, 1));
                expect(addr % size).toBe(0);
                expect(addr % op.align).toBe(0);
                expect(addr).toBeGreaterThanOrEqual(pa.start);
                expect(addr + size).toBeLessThanOrEqual(pa.end);
                live.set(addr, size);
              } catch (e) {
                expect(e).toBeInstanceOf(KernelError);
                expect((e as KernelError).errno).toBe(Errno.ENOMEM);
                // ENOMEM only when no free block is large enough.
                expect(pa.largestFreeBytes).toBeLessThan(Math.max(op.size, op.align, 1));
              }
            } else if (live.size > 0) {
              const addr = [...live.keys()][op.pick % live.size]!;
              pa.free(addr);
              live.delete(addr);
            }
            const used = [...live.values()].reduce((a, b) => a + b, 0);
            expect(pa.usedBytes).toBe(used);
            expect(pa.freeBytes + pa.usedBytes).toBe(pa.totalBytes);
            expectNoOverlap([...live.entries(), ...pa.freeBlocks()]);
          }
          for (const addr of live.keys()) pa.free(addr);
          expect(pa.freeBytes).toBe(pa.totalBytes);
          expect([...pa.freeBlocks()].sort((a, b) => a[0] - b[0])).toEqual(initialFree);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('reports OOM as KernelError(ENOMEM) and keeps working afterwards', () => {
    const pa = new PageAllocator(0, 16 * PAGE_SIZE);
    const got: number[] = [];
    let err: unknown;
    try {
      for (;;) got.push(pa.alloc(PAGE_SIZE));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KernelError);
    expect((err as KernelError).errno).toBe(Errno.ENOMEM);
    expect(got).toHaveLength(16);
    expect(pa.stats.failures).toBe(1);
    for (const a of got) pa.free(a);
    expect(pa.alloc(16 * PAGE_SIZE)).toBe(0);
  });

  it('rejects frees of addresses it did not hand out', () => {
    const pa = new PageAllocator(0, 8 * PAGE_SIZE);
    const a = pa.alloc(2 * PAGE_SIZE);
    expect(() => pa.free(a + PAGE_SIZE)).toThrow(KernelError);
    pa.free(a);
    expect(() => pa.free(a)).toThrow(KernelError);
  });
});

describe('Heap (small objects over pages)', () => {
  it('never overlaps objects, honours alignment, accounts exactly and returns every page when all is freed', () => {
    fc.assert(
      fc.property(ops(9000, 13), (seq) => {
        const pa = new PageAllocator(0, 64 * PAGE_SIZE);
        const heap = new Heap(pa);
        const live = new Map<number, { size: number; align: number }>();
        for (const op of seq) {
          if (op.alloc) {
            try {
              const addr = heap.alloc(op.size, op.align);
              expect(addr % op.align).toBe(0);
              expect(heap.usableSize(addr)).toBeGreaterThanOrEqual(op.size);
              live.set(addr, { size: op.size, align: op.align });
            } catch (e) {
              expect((e as KernelError).errno).toBe(Errno.ENOMEM);
            }
          } else if (live.size > 0) {
            const addr = [...live.keys()][op.pick % live.size]!;
            heap.free(addr);
            live.delete(addr);
          }
          expectNoOverlap([...live.keys()].map((a) => [a, heap.usableSize(a)]));
          expect(heap.stats.objects).toBe(live.size);
          expect(heap.stats.requestedBytes).toBe([...live.values()].reduce((s, o) => s + o.size, 0));
          expect(heap.stats.allocatedBytes).toBe([...live.keys()].reduce((s, a) => s + heap.usableSize(a), 0));
          // The heap is the page allocator's only user: every used page is a slab or a large block.
          expect(pa.usedBytes).toBe(heap.stats.slabBytes + heap.stats.largeBytes);
        }
        for (const addr of live.keys()) heap.free(addr);
        expect(heap.stats).toEqual({ objects: 0, requestedBytes: 0, allocatedBytes: 0, slabBytes: 0, largeBytes: 0 });
        expect(pa.freeBytes).toBe(pa.totalBytes);
        expect(pa.largestFreeBytes).toBe(pa.totalBytes);
      }),
      { numRuns: 200 },
    );
  });

  it('reaches ENOMEM, not a crash, when small objects exhaust guest RAM', () => {
    const heap = new Heap(new PageAllocator(0, 4 * PAGE_SIZE));
    let n = 0;
    let err: unknown;
    try {
      for (;;) {
        heap.alloc(100);
        n++;
      }
    } catch (e) {
      err = e;
    }
    expect((err as KernelError).errno).toBe(Errno.ENOMEM);
    expect(n).toBe((4 * PAGE_SIZE) / 128);
  });

  it('rejects double frees and bad alignments with EINVAL', () => {
    const heap = new Heap(new PageAllocator(0, 4 * PAGE_SIZE));
    const a = heap.alloc(10);
    heap.free(a);
    expect(() => heap.free(a)).toThrow(/EINVAL/);
    expect(() => heap.alloc(10, 3)).toThrow(/EINVAL/);
  });
});

describe('meminfo', () => {
  it('prints /proc/meminfo lines from the allocators', () => {
    const pa = new PageAllocator(0, 1024 * PAGE_SIZE);
    const heap = new Heap(pa);
    heap.alloc(64);
    pa.alloc(100 * PAGE_SIZE); // 128 pages
    const info = memInfo(pa, heap, { cachedBytes: 8192 });
    expect(info.MemTotal).toBe(4096);
    expect(info.MemFree).toBe(4096 - 4 - 512);
    expect(info.MemAvailable).toBe(info.MemFree + 8);
    expect(info.Slab).toBe(4);
    const text = formatMemInfo(info);
    expect(text.split('\n')[0]).toBe('MemTotal:           4096 kB');
    expect(text).toContain('MemFree:            3580 kB');
  });
});
