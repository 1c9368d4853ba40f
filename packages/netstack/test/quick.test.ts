import { describe, expect, it } from 'vitest';
import { makePair, pattern, transfer, equalBytes } from './harness.js';

describe('quick', () => {
  it('moves 1 MB over a perfect link', () => {
    const p = makePair(1);
    const data = pattern(1 << 20, 1);
    const t0 = performance.now();
    const r = transfer(p, data);
    console.log('ms', performance.now() - t0, 'virtual ms', r.durationNs / 1e6);
    expect(equalBytes(r.received, data)).toBe(true);
  });
  it('moves 1 MB over a lossy link', () => {
    const p = makePair(2, { loss: 0.02, duplicate: 0.01, reorder: 0.02, reorderDelayNs: 3e6, corrupt: 0.01, jitterNs: 1e6 });
    const data = pattern(1 << 20, 2);
    const t0 = performance.now();
    const r = transfer(p, data);
    console.log('ms', performance.now() - t0, 'virtual ms', r.durationNs / 1e6, p.link.counters);
    expect(equalBytes(r.received, data)).toBe(true);
  });
});
