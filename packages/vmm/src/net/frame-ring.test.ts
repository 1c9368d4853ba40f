import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FrameRing } from './frame-ring.js';

describe('FrameRing', () => {
  it('gives back every frame pushed, in order and byte-exact, across wrap-around, as a queue model does', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 16, max: 256 }).map((n) => n * 4),
        fc.array(fc.oneof(fc.uint8Array({ maxLength: 120 }), fc.constant('pop' as const)), { maxLength: 400 }),
        (capacity, ops) => {
          const ring = new FrameRing(capacity);
          const model: Uint8Array[] = [];
          let used = 0;
          for (const op of ops) {
            if (op === 'pop') {
              const got = ring.pop();
              const want = model.shift();
              expect(got).toEqual(want);
              if (want) used -= 4 + ((want.length + 3) & ~3);
              continue;
            }
            if (4 + ((op.length + 3) & ~3) > capacity / 2) {
              expect(() => ring.push(op)).toThrow(RangeError);
              continue;
            }
            const ok = ring.push(op);
            // Never refused while there is room for it twice over beside what is in use and the
            // one gap a wrap may have left at the end of the area: that gap is smaller than the
            // record that wrapped, which stays in the ring until the head has passed the gap.
            const record = 4 + ((op.length + 3) & ~3);
            const gap = Math.max(0, ...model.map((m) => 4 + ((m.length + 3) & ~3)));
            if (used + gap + 2 * record <= capacity) expect(ok).toBe(true);
            if (ok) {
              model.push(op.slice());
              used += 4 + ((op.length + 3) & ~3);
            }
          }
          for (const want of model) expect(ring.pop()).toEqual(want);
          expect(ring.pop()).toBeUndefined();
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('is shared: a second FrameRing over the same buffer pops what the first pushed', () => {
    const a = new FrameRing(1024);
    const b = new FrameRing(a.buffer);
    expect(a.push(Uint8Array.of(1, 2, 3))).toBe(true);
    expect(b.pop()).toEqual(Uint8Array.of(1, 2, 3));
    expect(() => new FrameRing(new SharedArrayBuffer(16 + 6))).toThrow(RangeError);
  });
});
