// Reservations against a model: the kernel's allocations never eat into what a reservation
// holds back, charges always succeed up to the reservation's size and lower free memory by
// exactly what was charged, and releasing gives every page back.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Errno, KernelError } from '@osv-ts/kernel-api';
import { PAGE_SIZE, PageAllocator } from './page-allocator.js';
import type { PageReservation } from './page-reservation.js';

type Op =
  | { op: 'alloc'; pages: number }
  | { op: 'free'; pick: number }
  | { op: 'reserve'; pages: number }
  | { op: 'charge'; pick: number; pages: number }
  | { op: 'release'; pick: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('alloc' as const), pages: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ op: fc.constant('free' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('reserve' as const), pages: fc.integer({ min: 0, max: 200 }) }),
  fc.record({ op: fc.constant('charge' as const), pick: fc.nat(), pages: fc.integer({ min: 0, max: 200 }) }),
  fc.record({ op: fc.constant('release' as const), pick: fc.nat() }),
);

describe('PageReservation', () => {
  it('holds memory back from alloc(), charges within its size, and releases all of it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.array(opArb, { maxLength: 200 }), (total, seq) => {
        const pa = new PageAllocator(PAGE_SIZE * 3, total * PAGE_SIZE);
        const live = new Map<number, number>();
        const reservations: PageReservation[] = [];
        const errno = (f: () => void): number | undefined => {
          try {
            f();
            return undefined;
          } catch (e) {
            expect(e).toBeInstanceOf(KernelError);
            return (e as KernelError).errno;
          }
        };
        for (const o of seq) {
          if (o.op === 'alloc') {
            const availableBefore = pa.availableBytes;
            let addr = -1;
            const e = errno(() => void (addr = pa.alloc(o.pages * PAGE_SIZE)));
            if (e === undefined) {
              live.set(addr, pa.sizeOf(addr));
              expect(pa.sizeOf(addr)).toBeLessThanOrEqual(availableBefore);
            } else expect(e).toBe(Errno.ENOMEM);
          } else if (o.op === 'free' && live.size > 0) {
            const addr = [...live.keys()][o.pick % live.size]!;
            pa.free(addr);
            live.delete(addr);
          } else if (o.op === 'reserve') {
            const availableBefore = pa.availableBytes;
            let r: PageReservation | undefined;
            const e = errno(() => void (r = pa.reserve(o.pages * PAGE_SIZE)));
            if (e === undefined) reservations.push(r!);
            else {
              expect(e).toBe(Errno.ENOMEM);
              expect(o.pages * PAGE_SIZE).toBeGreaterThan(availableBefore);
            }
          } else if (o.op === 'charge' && reservations.length > 0) {
            const r = reservations[o.pick % reservations.length]!;
            const freeBefore = pa.freeBytes;
            const chargedBefore = r.chargedBytes;
            const want = o.pages * PAGE_SIZE;
            const e = errno(() => r.charge(want));
            if (want > r.sizeBytes) expect(e).toBe(Errno.ENOMEM);
            else {
              // A charge within the reservation always succeeds, whatever the kernel allocated.
              expect(e).toBeUndefined();
              expect(r.chargedBytes).toBe(Math.max(chargedBefore, want));
              expect(freeBefore - pa.freeBytes).toBe(r.chargedBytes - chargedBefore);
            }
          } else if (o.op === 'release' && reservations.length > 0) {
            const r = reservations.splice(o.pick % reservations.length, 1)[0]!;
            const freeBefore = pa.freeBytes;
            const charged = r.chargedBytes;
            r.release();
            expect(pa.freeBytes - freeBefore).toBe(charged);
          }
          const held = reservations.reduce((s, r) => s + r.sizeBytes - r.chargedBytes, 0);
          const charged = reservations.reduce((s, r) => s + r.chargedBytes, 0);
          const used = [...live.values()].reduce((a, b) => a + b, 0);
          expect(pa.reservedBytes).toBe(held);
          expect(pa.usedBytes).toBe(used + charged);
          expect(pa.availableBytes).toBe(pa.freeBytes - held);
          expect(pa.availableBytes).toBeGreaterThanOrEqual(0);
        }
        for (const r of reservations) r.release();
        for (const a of live.keys()) pa.free(a);
        expect(pa.freeBytes).toBe(pa.totalBytes);
        expect(pa.reservedBytes).toBe(0);
        expect(pa.largestFreeBytes).toBe([...pa.freeBlocks()].reduce((m, [, s]) => Math.max(m, s), 0));
      }),
      { numRuns: 300 },
    );
  });

  it('an allocation that would dip into a reservation fails with ENOMEM although a block is free', () => {
    const pa = new PageAllocator(0, 16 * PAGE_SIZE);
    const r = pa.reserve(12 * PAGE_SIZE);
    expect(pa.availableBytes).toBe(4 * PAGE_SIZE);
    const a = pa.alloc(4 * PAGE_SIZE);
    expect(() => pa.alloc(PAGE_SIZE)).toThrow(/reserved/);
    r.charge(12 * PAGE_SIZE);
    expect(pa.freeBytes).toBe(0);
    r.release();
    pa.free(a);
    expect(pa.alloc(16 * PAGE_SIZE)).toBe(0);
  });
});
