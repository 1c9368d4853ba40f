import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TimerQueue } from './timer-queue.js';

describe('TimerQueue', () => {
  it('fires timers in deadline order, ties in arming order, and never fires cancelled ones', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ deadline: fc.integer({ min: 0, max: 50 }), cancel: fc.boolean() }), { maxLength: 200 }),
        (specs) => {
          const q = new TimerQueue();
          const fired: number[] = [];
          const timers = specs.map((s, i) => q.add(s.deadline, () => fired.push(i)));
          specs.forEach((s, i) => s.cancel && q.cancel(timers[i]!));
          q.expire(100);
          const expected = specs
            .map((s, i) => ({ ...s, i }))
            .filter((s) => !s.cancel)
            .sort((a, b) => a.deadline - b.deadline || a.i - b.i)
            .map((s) => s.i);
          expect(fired).toEqual(expected);
          expect(q.size).toBe(0);
        },
      ),
    );
  });

  it('re-arms periodic timers in phase, counting missed periods as overruns', () => {
    const q = new TimerQueue();
    let n = 0;
    const t = q.add(10, () => n++, 10);
    q.expire(10);
    q.expire(20);
    expect(n).toBe(2);
    q.expire(45);
    expect(n).toBe(3);
    expect(t.overruns).toBe(1); // the expiry at 40 was missed; 30 fired late
    expect(q.nextDeadlineNs()).toBe(50);
  });
});
