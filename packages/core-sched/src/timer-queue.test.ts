import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TimerQueue, type Timer, type TimerCallback } from './timer-queue.js';
import { TimerHeap } from './timer-heap.js';
import { TimerWheel } from './timer-wheel.js';

interface Timers {
  add(deadlineNs: number, cb: TimerCallback, periodNs?: number): Timer;
  arm(t: Timer): void;
  cancel(t: Timer): boolean;
  expire(nowNs: number): number;
  nextDeadlineNs(): number | undefined;
  readonly size: number;
}

const implementations: [string, () => Timers][] = [
  ['TimerHeap', () => new TimerHeap()],
  ['TimerWheel', () => new TimerWheel()],
  ["TimerQueue (the kernel's choice)", () => new TimerQueue()],
];

type Step = { op: 'add'; delta: number } | { op: 'cancel'; pick: number } | { op: 'advance'; by: number };

// Deadlines from the same tick to many wheel levels away.
const deltaArb = fc.oneof(
  fc.integer({ min: 0, max: 5000 }),
  fc.integer({ min: 0, max: 2 ** 40 }),
  fc.constantFrom(0, 1023, 1024, 65536, 2 ** 58, 2 ** 60, Infinity),
);

describe.each(implementations)('%s', (_name, make) => {
  it('fires timers in deadline order, ties in arming order, and never fires cancelled ones (vs a naive model)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant('add' as const), delta: deltaArb }),
            fc.record({ op: fc.constant('cancel' as const), pick: fc.nat() }),
            fc.record({
              op: fc.constant('advance' as const),
              by: fc.oneof(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 2 ** 41 })),
            }),
          ),
          { maxLength: 200 },
        ),
        (steps: Step[]) => {
          const q = make();
          const model: { id: number; deadline: number; seq: number }[] = [];
          const timers = new Map<number, Timer>();
          const fired: number[] = [];
          const expected: number[] = [];
          let now = 0;
          let id = 0;
          for (const s of steps) {
            if (s.op === 'add') {
              const my = id++;
              timers.set(
                my,
                q.add(now + s.delta, () => fired.push(my)),
              );
              model.push({ id: my, deadline: now + s.delta, seq: my });
            } else if (s.op === 'cancel') {
              if (model.length === 0) continue;
              const [victim] = model.splice(s.pick % model.length, 1);
              expect(q.cancel(timers.get(victim!.id)!)).toBe(true);
              expect(q.cancel(timers.get(victim!.id)!)).toBe(false);
            } else {
              now += s.by;
              model.sort((a, b) => a.deadline - b.deadline || a.seq - b.seq);
              while (model.length > 0 && model[0]!.deadline <= now) expected.push(model.shift()!.id);
              q.expire(now);
            }
            expect(fired).toEqual(expected);
            expect(q.size).toBe(model.length);
            const min = model.reduce<number | undefined>(
              (m, t) => (m === undefined || t.deadline < m ? t.deadline : m),
              undefined,
            );
            // Infinity means "never": no deadline to wait for.
            expect(q.nextDeadlineNs()).toBe(min === Infinity ? undefined : min);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('re-arms periodic timers in phase, counting missed periods as overruns', () => {
    const q = make();
    let n = 0;
    const t = q.add(10, () => n++, 10);
    q.expire(10);
    q.expire(20);
    expect(n).toBe(2);
    q.expire(45);
    expect(n).toBe(3);
    expect(t.overruns).toBe(1); // the expiry at 40 was missed; 30 fired late
    expect(q.nextDeadlineNs()).toBe(50);
    q.cancel(t);
    expect(q.nextDeadlineNs()).toBe(undefined);
  });

  it('re-arms a timer whose deadline was changed while armed (the netstack pattern), and never fires Infinity', () => {
    const q = make();
    const fired: string[] = [];
    const t = q.add(Infinity, () => fired.push('t'));
    const never = q.add(Number.NaN, () => fired.push('nan'));
    expect(q.nextDeadlineNs()).toBe(undefined);
    t.deadlineNs = 2 ** 59;
    q.add(50, () => fired.push('u'));
    q.arm(t);
    expect(q.expire(1e9)).toBe(1);
    t.deadlineNs = 700;
    q.arm(t);
    expect(q.nextDeadlineNs()).toBe(700);
    expect(q.expire(2e9)).toBe(1);
    expect(fired).toEqual(['u', 't']);
    expect(q.size).toBe(1);
    expect(q.cancel(never)).toBe(true);
    expect(q.size).toBe(0);
  });

  it('lets a callback arm a timer that is already due, which fires in the same expiry', () => {
    const q = make();
    const order: string[] = [];
    q.add(5, () => {
      order.push('a');
      q.add(3, () => order.push('c'));
    });
    q.add(7, () => order.push('b'));
    expect(q.expire(10)).toBe(3);
    expect(order).toEqual(['a', 'c', 'b']);
  });
});
