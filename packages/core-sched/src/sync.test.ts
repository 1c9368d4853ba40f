import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Errno, KernelError, NS_PER_MS } from '@osv-ts/kernel-api';
import { Simulation } from './testing/simulation.js';
import { Mutex } from './mutex.js';
import { CondVar } from './condvar.js';
import { Semaphore } from './semaphore.js';
import { Event } from './event.js';
import { WaitQueue } from './wait-queue.js';
import type { Blocking } from './kernel-thread.js';

/** A pause chosen by the property: 0 = none, 1 = a plain yield, n > 1 = sleep n µs. */
function* pause(sim: Simulation, p: number): Blocking {
  if (p === 1) yield;
  else if (p > 1) yield* sim.sched.sleep(p * 1000);
}

describe('no lost wake-ups', () => {
  it('a bounded buffer (mutex + two condvars) delivers every item exactly once under random interleavings', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 40 }),
        fc.integer(),
        (producers, consumers, capacity, pauses, seed) => {
          const sim = new Simulation({ seed });
          const m = new Mutex(sim.sched, 'buf');
          const notEmpty = new CondVar(sim.sched, 'notEmpty');
          const notFull = new CondVar(sim.sched, 'notFull');
          const buf: number[] = [];
          const itemsEach = 6;
          const total = producers * itemsEach;
          const got: number[] = [];
          let k = 0;
          const nextPause = () => pauses[k++ % pauses.length]!;
          for (let p = 0; p < producers; p++) {
            sim.spawn(`prod${p}`, function* () {
              for (let i = 0; i < itemsEach; i++) {
                yield* pause(sim, nextPause());
                yield* m.lock();
                while (buf.length >= capacity) yield* notFull.wait(m);
                buf.push(p * 100 + i);
                notEmpty.signal();
                m.unlock();
              }
            });
          }
          let remaining = total;
          for (let c = 0; c < consumers; c++) {
            sim.spawn(`cons${c}`, function* () {
              for (;;) {
                yield* m.lock();
                while (buf.length === 0 && remaining > 0) yield* notEmpty.wait(m);
                if (remaining === 0) {
                  m.unlock();
                  notEmpty.broadcast();
                  return;
                }
                got.push(buf.shift()!);
                remaining--;
                notFull.signal();
                if (remaining === 0) notEmpty.broadcast();
                m.unlock();
                yield* pause(sim, nextPause());
              }
            });
          }
          const r = sim.runUntilQuiescent();
          expect(r.waiting.map((t) => t.name)).toEqual([]);
          expect(got.sort((a, b) => a - b)).toEqual(
            Array.from({ length: producers }, (_, p) =>
              Array.from({ length: itemsEach }, (_, i) => p * 100 + i),
            ).flat(),
          );
        },
      ),
      { numRuns: 150 },
    );
  });

  it('semaphore waits with deadlines never strand a waiter while units are available', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            kind: fc.constantFrom('wait', 'post'),
            atUs: fc.integer({ min: 0, max: 200 }),
            timeoutUs: fc.integer({ min: 0, max: 100 }),
          }),
          {
            maxLength: 30,
          },
        ),
        fc.integer(),
        (ops, seed) => {
          const sim = new Simulation({ seed });
          const sem = new Semaphore(sim.sched, 0);
          let acquired = 0;
          let posted = 0;
          ops.forEach((op, i) => {
            sim.spawn(`op${i}`, function* () {
              yield* sim.sched.sleep(op.atUs * 1000);
              if (op.kind === 'post') {
                sem.post();
                posted++;
              } else if (yield* sem.wait(1, sim.nowNs + op.timeoutUs * 1000)) {
                acquired++;
              }
            });
          });
          const r = sim.runUntilQuiescent();
          expect(r.waiting).toEqual([]);
          expect(acquired + sem.value).toBe(posted);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('the app thread and kernel threads share a mutex without losing a wake-up', () => {
    const sim = new Simulation({ seed: 1 });
    const m = new Mutex(sim.sched);
    let counter = 0;
    for (let t = 0; t < 3; t++) {
      sim.spawn(`k${t}`, function* () {
        for (let i = 0; i < 50; i++) {
          yield* m.lock();
          const v = counter;
          yield* sim.sched.sleep((i % 3) * 1000);
          counter = v + 1;
          m.unlock();
          yield;
        }
      });
    }
    for (let i = 0; i < 50; i++) {
      sim.sched.run(m.lock());
      const v = counter;
      sim.sched.block(() => false, sim.nowNs + 500);
      counter = v + 1;
      m.unlock();
    }
    sim.runUntilQuiescent();
    expect(counter).toBe(200);
  });
});

describe('locks and events', () => {
  it('rejects unlocking a mutex the caller does not hold and relocking one it holds', () => {
    const sim = new Simulation({ seed: 2 });
    const m = new Mutex(sim.sched);
    expect(() => m.unlock()).toThrow(KernelError);
    sim.sched.run(m.lock());
    let err: unknown;
    try {
      sim.sched.run(m.lock());
    } catch (e) {
      err = e;
    }
    expect((err as KernelError).errno).toBe(Errno.EDEADLK);
    let stolen = false;
    // eslint-disable-next-line require-yield -- a thread that never blocks is still a generator
    sim.spawn('thief', function* () {
      try {
        m.unlock();
      } catch (e) {
        stolen = (e as KernelError).errno !== Errno.EPERM;
        return;
      }
      stolen = true;
    });
    sim.runUntilQuiescent();
    expect(stolen).toBe(false);
  });

  it('times out a condvar wait at its deadline and still relocks', () => {
    const sim = new Simulation({ seed: 3 });
    const m = new Mutex(sim.sched);
    const cv = new CondVar(sim.sched);
    sim.sched.run(m.lock());
    expect(sim.sched.run(cv.wait(m, 5 * NS_PER_MS))).toBe(false);
    expect(sim.nowNs).toBe(5 * NS_PER_MS);
    expect(m.ownedByCaller).toBe(true);
  });

  it('releases every waiter of an event, and later ones pass at once', () => {
    const sim = new Simulation({ seed: 4 });
    const ev = new Event(sim.sched);
    const woke: string[] = [];
    for (const n of ['a', 'b', 'c']) {
      sim.spawn(n, function* () {
        yield* ev.wait();
        woke.push(`${n}@${sim.nowNs}`);
      });
    }
    sim.at(7000, () => ev.set());
    sim.runUntilQuiescent();
    expect(woke).toEqual(['a@7000', 'b@7000', 'c@7000']);
    expect(sim.sched.run(ev.wait())).toBe(true);
    ev.reset();
    expect(sim.sched.run(ev.wait(sim.nowNs + 10))).toBe(false);
  });
});

describe('multi-source wait (poll)', () => {
  it('reports the first queue woken, or -1 at the deadline', () => {
    const sim = new Simulation({ seed: 5 });
    const qs = [new WaitQueue('fd3'), new WaitQueue('fd4'), new WaitQueue('fd5')];
    const results: number[] = [];
    sim.spawn('poller', function* () {
      results.push(yield* sim.sched.waitAny(qs, sim.nowNs + 10 * NS_PER_MS));
      results.push(yield* sim.sched.waitAny(qs, sim.nowNs + 10 * NS_PER_MS));
    });
    sim.at(3 * NS_PER_MS, () => {
      qs[2]!.wakeAll();
      qs[0]!.wakeAll();
    });
    sim.runUntilQuiescent();
    expect(results).toEqual([2, -1]);
    expect(sim.nowNs).toBe(13 * NS_PER_MS);
    expect(qs.map((q) => q.size)).toEqual([0, 0, 0]);
    // The same operation from the app thread.
    sim.at(sim.nowNs + NS_PER_MS, () => qs[1]!.wakeOne());
    expect(sim.sched.run(sim.sched.waitAny(qs))).toBe(1);
  });
});
