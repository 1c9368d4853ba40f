import { describe, expect, it } from 'vitest';
import { Errno, KernelError, NS_PER_MS, NS_PER_S } from '@osv-ts/kernel-api';
import { Simulation } from './simulation.js';
import { SeededRandom } from './seeded-random.js';
import { Mutex } from '../mutex.js';
import { Semaphore } from '../semaphore.js';
import { WaitQueue } from '../wait-queue.js';
import { PageAllocator, PAGE_SIZE } from '../page-allocator.js';

/** A random workload whose every choice comes from the simulation's PRNG. */
function workload(seed: number): { trace: string[]; events: string[]; nowNs: number } {
  const sim = new Simulation({ seed, trace: '*' });
  const rnd = sim.random;
  const m = new Mutex(sim.sched);
  const sem = new Semaphore(sim.sched, 1);
  const queues = [new WaitQueue('q0'), new WaitQueue('q1'), new WaitQueue('q2')];
  const pages = new PageAllocator(0, 64 * PAGE_SIZE);
  sim.setFault('alloc', 0.1);
  for (let t = 0; t < 6; t++) {
    sim.spawn(`w${t}`, function* () {
      for (let i = 0; i < 30; i++) {
        switch (rnd.int(0, 5)) {
          case 0:
            yield* sim.sched.sleep(rnd.int(1, 500) * 1000);
            break;
          case 1:
            yield* m.lock();
            yield* sim.compute(rnd.int(1, 100) * 1000);
            m.unlock();
            break;
          case 2: {
            const got = yield* sim.sched.waitAny(queues, sim.nowNs + rnd.int(1, 300) * 1000);
            sim.log(`w${t} waitAny ${got}`);
            break;
          }
          case 3:
            rnd.pick(queues).wakeAll();
            break;
          case 4:
            if (yield* sem.wait(1, sim.nowNs + rnd.int(0, 200) * 1000)) {
              yield;
              sem.post();
            }
            break;
          default:
            try {
              if (sim.fault('alloc')) throw new KernelError(Errno.ENOMEM, 'injected');
              const a = pages.alloc(rnd.int(1, 4) * PAGE_SIZE);
              yield* sim.compute(1000);
              pages.free(a);
            } catch (e) {
              sim.log(`w${t} ${(e as Error).message}`);
            }
        }
      }
    });
  }
  const r = sim.runUntilQuiescent();
  expect(r.quiescent).toBe(true);
  expect(r.waiting).toEqual([]);
  return {
    trace: sim.trace().map((rec) => `${rec.timeNs} ${rec.threadId} ${rec.name} ${rec.args.join(',')}`),
    events: sim.events,
    nowNs: sim.nowNs,
  };
}

describe('Simulation', () => {
  it('replays identically for the same seed (trace, event log, end time) and differently for another', () => {
    const a = workload(1234);
    const b = workload(1234);
    const c = workload(4321);
    expect(a.trace.length).toBeGreaterThan(100);
    expect(b).toEqual(a);
    expect(c.trace).not.toEqual(a.trace);
  });

  it('runs a simulated hour of periodic work in far less real time, jumping the clock when idle', () => {
    const sim = new Simulation({ seed: 1 });
    let ticks = 0;
    sim.sched.timers.add(NS_PER_S, () => ticks++, NS_PER_S);
    sim.spawn('sleeper', function* () {
      yield* sim.sched.sleep(3600 * NS_PER_S);
    });
    const t0 = performance.now();
    const r = sim.runFor(3600 * NS_PER_S);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(r.nowNs).toBe(3600 * NS_PER_S);
    expect(ticks).toBe(3600);
    expect(r.waiting).toEqual([]);
  });

  it('reports threads stranded at quiescence, and fault hooks fire as programmed', () => {
    const sim = new Simulation({ seed: 2 });
    const q = new WaitQueue('never');
    sim.spawn('stranded', function* () {
      yield q;
    });
    let writes = 0;
    sim.onFault('disk.write', () => ++writes === 3);
    const results = [1, 2, 3, 4].map(() => sim.fault('disk.write'));
    expect(results).toEqual([false, false, true, false]);
    expect(sim.faultCounts.get('disk.write')).toBe(1);
    const r = sim.runUntilQuiescent();
    expect(r.quiescent).toBe(true);
    expect(r.waiting.map((t) => t.name)).toEqual(['stranded']);
    expect(sim.events).toEqual(['0 fault disk.write']);
  });

  it('has a seeded PRNG that repeats per seed and fills entropy buffers', () => {
    const a = new SeededRandom(7);
    const b = new SeededRandom(7);
    const xs = Array.from({ length: 5 }, () => a.nextU32());
    expect(Array.from({ length: 5 }, () => b.nextU32())).toEqual(xs);
    expect(new Set(xs).size).toBe(5);
    const buf = new Uint8Array(7);
    new SeededRandom(8).fill(buf);
    expect(buf.some((x) => x !== 0)).toBe(true);
    const r = new SeededRandom(9);
    for (let i = 0; i < 1000; i++) {
      const v = r.int(3, 5);
      expect(v >= 3 && v <= 5).toBe(true);
    }
  });

  it('stops at untilNs even with timers pending later', () => {
    const sim = new Simulation({ seed: 3 });
    let fired = false;
    sim.at(10 * NS_PER_MS, () => (fired = true));
    const r = sim.runUntilQuiescent({ untilNs: 5 * NS_PER_MS });
    expect([r.nowNs, r.quiescent, fired]).toEqual([5 * NS_PER_MS, false, false]);
  });
});
