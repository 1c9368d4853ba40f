import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RunQueue } from './run-queue.js';
import { KernelThread } from './kernel-thread.js';

function thread(id: number, rt: number, scaled: number): KernelThread {
  const t = new KernelThread(id, `t${id}`, 1, (function* () {})(), () => {}, rt);
  t.scaledRuntime = scaled;
  return t;
}

describe('RunQueue', () => {
  it('pops threads in (real-time priority desc, decayed run time asc, FIFO) order, like a sorted list', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({
              op: fc.constant('push' as const),
              rt: fc.integer({ min: 0, max: 3 }),
              scaled: fc.integer({ min: 0, max: 5 }),
            }),
            fc.record({ op: fc.constant('pop' as const) }),
            fc.record({ op: fc.constant('remove' as const), pick: fc.nat() }),
          ),
          { maxLength: 200 },
        ),
        (ops) => {
          const rq = new RunQueue(0, 0);
          let model: { t: KernelThread; seq: number }[] = [];
          let id = 0;
          for (const op of ops) {
            if (op.op === 'push') {
              const t = thread(++id, op.rt, op.scaled);
              rq.push(t);
              model.push({ t, seq: id });
            } else if (op.op === 'pop') {
              model.sort(
                (a, b) =>
                  b.t.realtimePriority - a.t.realtimePriority ||
                  (a.t.realtimePriority === 0 ? a.t.scaledRuntime - b.t.scaledRuntime : 0) ||
                  a.seq - b.seq,
              );
              expect(rq.pop()).toBe(model.shift()?.t);
            } else if (model.length > 0) {
              const victim = model[op.pick % model.length]!;
              rq.remove(victim.t);
              model = model.filter((m) => m !== victim);
            }
            expect(rq.size).toBe(model.length);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('charges run time weighted by priority and decays it with τ', () => {
    const rq = new RunQueue(0, 0, 100);
    const a = thread(1, 0, 0);
    a.priority = 2;
    rq.attach(a, 0);
    rq.charge(a, 10, 0);
    expect(rq.decayedRuntimeNs(a, 0)).toBe(20);
    expect(rq.decayedRuntimeNs(a, 100)).toBeCloseTo(20 / Math.E, 9);
  });
});
