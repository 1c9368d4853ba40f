import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  availRingBytes,
  contiguousLayout,
  descTableBytes,
  isValidQueueSize,
  needEvent,
  ringDistance,
  splitRingBytes,
  usedRingBytes,
} from './split-ring-layout.js';

describe('split ring layout (virtio 1.2 §2.7)', () => {
  it('accepts exactly the powers of two from 1 to 32768', () => {
    const valid = Array.from({ length: 65536 }, (_, i) => i).filter(isValidQueueSize);
    expect(valid).toEqual(Array.from({ length: 16 }, (_, i) => 2 ** i));
  });

  it('places the three parts aligned and without overlap for every size', () => {
    for (let size = 1; size <= 32768; size *= 2) {
      const l = contiguousLayout(0x10000, size);
      expect(l.descAddress % 16).toBe(0);
      expect(l.availAddress % 2).toBe(0);
      expect(l.usedAddress % 4).toBe(0);
      expect(l.availAddress).toBeGreaterThanOrEqual(l.descAddress + descTableBytes(size));
      expect(l.usedAddress).toBeGreaterThanOrEqual(l.availAddress + availRingBytes(size));
      expect(l.usedAddress + usedRingBytes(size)).toBe(0x10000 + splitRingBytes(size));
    }
  });

  it('counts entries between free-running 16-bit indices across wrap-around', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 32768 }), (old, n) => {
        expect(ringDistance((old + n) & 0xffff, old)).toBe(n);
      }),
    );
  });

  it('needEvent fires exactly when the event index was crossed (§2.7.7.2), including across wrap-around', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 0, max: 0xffff }),
        (old, published, event) => {
          const newIdx = (old + published) & 0xffff;
          // Naive model: the indices old+1 .. new (mod 2^16) were published; notify if event+1 is among them.
          let crossed = false;
          for (let i = 1; i <= published; i++) if (((old + i) & 0xffff) === ((event + 1) & 0xffff)) crossed = true;
          expect(needEvent(event, newIdx, old)).toBe(crossed);
        },
      ),
    );
  });
});
