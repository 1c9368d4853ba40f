import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HaltPollWindow } from './halt-poll.js';

describe('HaltPollWindow', () => {
  it('stays within [0, max], grows on short sleeps and shrinks to 0 on long ones', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant(-1), fc.nat(2_000_000)), { maxLength: 200 }), (events) => {
        const w = new HaltPollWindow({ startNs: 10_000, maxNs: 200_000 });
        for (const e of events) {
          const before = w.windowNs;
          if (e < 0) w.pollSucceeded();
          else w.slept(e);
          expect(w.windowNs).toBeGreaterThanOrEqual(0);
          expect(w.windowNs).toBeLessThanOrEqual(200_000);
          if (e < 0) expect(w.windowNs).toBe(before);
          else if (e <= 200_000) expect(w.windowNs).toBeGreaterThanOrEqual(before);
          else expect(w.windowNs).toBeLessThanOrEqual(before);
        }
      }),
    );
  });

  it('an idle waiter stops polling: a few long sleeps take any window to zero', () => {
    const w = new HaltPollWindow({ startNs: 10_000, maxNs: 200_000 });
    for (let i = 0; i < 10; i++) w.slept(50_000);
    expect(w.windowNs).toBe(200_000);
    for (let i = 0; i < 6; i++) w.slept(1e9);
    expect(w.windowNs).toBe(0);
  });
});
