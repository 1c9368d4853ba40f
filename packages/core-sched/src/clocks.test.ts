import { describe, expect, it } from 'vitest';
import { HostClock } from './clocks.js';

describe('HostClock', () => {
  it('reads realtime as the epoch nanoseconds of timeOrigin + now(), never going back', () => {
    const clock = new HostClock();
    const before = BigInt(Math.floor((performance.timeOrigin + performance.now()) * 1e3)) * 1000n;
    const a = clock.realtimeNs();
    const b = clock.realtimeNs();
    const after = BigInt(Math.ceil((performance.timeOrigin + performance.now()) * 1e3)) * 1000n;
    // Both sums are floats of milliseconds: allow a microsecond of rounding either side.
    expect(a >= before - 1000n && a <= after + 1000n).toBe(true);
    expect(b >= a).toBe(true);
  });

  it('counts monotonic time from the origin it was given', () => {
    const clock = new HostClock(performance.now() - 5);
    const ns = clock.monotonicNs();
    expect(ns).toBeGreaterThanOrEqual(5_000_000);
    expect(Number.isInteger(ns)).toBe(true);
  });
});
