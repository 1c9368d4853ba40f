import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NS_PER_MS, NS_PER_S } from '@osv-ts/kernel-api';
import { Simulation } from './testing/simulation.js';
import { DeadlockError } from './scheduler.js';
import { ThreadLocal } from './thread-local.js';
import { WaitQueue } from './wait-queue.js';
import type { KernelThread } from './kernel-thread.js';

/** Spawns a CPU-bound thread that computes in slices of `sliceNs` forever. */
function cpuBound(
  sim: Simulation,
  name: string,
  sliceNs: number,
  options: { priority?: number; realtimePriority?: number } = {},
): KernelThread {
  return sim.spawn(
    name,
    function* () {
      for (;;) yield* sim.compute(sliceNs);
    },
    options,
  );
}

describe('Scheduler fairness (OSv decayed run time)', () => {
  it('gives two CPU-bound threads of equal priority shares within 10% over a simulated second, whatever their slice lengths', () => {
    const sim = new Simulation({ seed: 1 });
    // Round robin would give these 1:5; fair scheduling by run time must not.
    const a = cpuBound(sim, 'short-slices', 200_000);
    const b = cpuBound(sim, 'long-slices', 1_000_000);
    sim.runFor(NS_PER_S);
    const total = a.runtimeNs + b.runtimeNs;
    expect(total).toBeGreaterThanOrEqual(NS_PER_S);
    expect(Math.abs(a.runtimeNs - b.runtimeNs) / Math.max(a.runtimeNs, b.runtimeNs)).toBeLessThan(0.1);
  });

  it('gives any mix of CPU-bound threads shares proportional to 1/priority, whatever their slice lengths', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ priority: fc.constantFrom(0.5, 1, 2, 4), sliceUs: fc.integer({ min: 50, max: 2000 }) }), {
          minLength: 2,
          maxLength: 5,
        }),
        (specs) => {
          const sim = new Simulation({ seed: 1 });
          const threads = specs.map((s, i) => cpuBound(sim, `t${i}`, s.sliceUs * 1000, { priority: s.priority }));
          sim.runFor(2 * NS_PER_S); // let decayed run times settle (a few τ)
          const before = threads.map((t) => t.runtimeNs);
          sim.runFor(2 * NS_PER_S);
          const got = threads.map((t, i) => t.runtimeNs - before[i]!);
          const total = got.reduce((a, b) => a + b, 0);
          const weights = specs.map((s) => 1 / s.priority);
          const wsum = weights.reduce((a, b) => a + b, 0);
          got.forEach((g, i) => {
            const expected = (total * weights[i]!) / wsum;
            // Within 15% of the ideal share, or slice granularity for small shares. Threads only
            // yield at the end of a slice, so a low-priority thread with long slices runs a whole
            // slice each time it is picked: against short-slice peers it gets up to ~11% more
            // than its share (seen in runs; OSv's preemptive scheduler would cut it short).
            expect(Math.abs(g - expected)).toBeLessThanOrEqual(Math.max(0.15 * expected, 4 * specs[i]!.sliceUs * 1000));
          });
        },
      ),
      { numRuns: 25 },
    );
  });

  it('weights shares by priority: priority 2 gets about half the CPU of priority 1', () => {
    const sim = new Simulation({ seed: 2 });
    const one = cpuBound(sim, 'p1', 500_000, { priority: 1 });
    const two = cpuBound(sim, 'p2', 500_000, { priority: 2 });
    sim.runFor(NS_PER_S);
    const ratio = one.runtimeNs / two.runtimeNs;
    expect(ratio).toBeGreaterThan(1.8);
    expect(ratio).toBeLessThan(2.2);
  });

  it('runs a thread that woke after a long sleep at the next scheduling point (decayed run time)', () => {
    const sim = new Simulation({ seed: 3 });
    cpuBound(sim, 'hog', 1_000_000);
    const ranAt: number[] = [];
    sim.spawn('sleeper', function* () {
      for (let i = 0; i < 3; i++) {
        yield* sim.sched.sleep(300 * NS_PER_MS);
        ranAt.push(sim.nowNs);
      }
    });
    sim.runFor(NS_PER_S);
    expect(ranAt).toHaveLength(3);
    // Each wake-up is served by the hog's next yield: at most one 1 ms slice late.
    ranAt.forEach((t, i) => expect(t - 300 * NS_PER_MS * (i + 1)).toBeLessThanOrEqual(i * NS_PER_MS + NS_PER_MS));
  });

  it('lets a higher (real-time) priority thread preempt a CPU-bound one at its next scheduling point', () => {
    const sim = new Simulation({ seed: 4 });
    const order: string[] = [];
    sim.spawn('low', function* () {
      for (let i = 0; i < 5; i++) {
        order.push(`low${i}`);
        yield* sim.compute(NS_PER_MS);
      }
    });
    const irqQueue = new WaitQueue('irq');
    let flag = false;
    sim.spawn(
      'rt',
      function* () {
        yield* sim.sched.waitUntil(irqQueue, () => flag);
        order.push('rt');
      },
      { realtimePriority: 10 },
    );
    sim.at(1_500_000, () => {
      flag = true;
      irqQueue.wakeAll();
    });
    sim.runUntilQuiescent();
    // The wake happens during low's second slice (1–2 ms); rt runs right after that slice.
    expect(order).toEqual(['low0', 'low1', 'rt', 'low2', 'low3', 'low4']);
  });

  it('lets a woken thread of higher fair-share priority run at the next scheduling point and take its weighted share', () => {
    const sim = new Simulation({ seed: 13 });
    const hog = cpuBound(sim, 'hog', NS_PER_MS);
    const q = new WaitQueue('work');
    let go = false;
    let firstRunNs = -1;
    let hogAtWake = 0;
    const important = sim.spawn(
      'important',
      function* () {
        yield* sim.sched.waitUntil(q, () => go);
        firstRunNs = sim.nowNs;
        for (;;) yield* sim.compute(NS_PER_MS);
      },
      { priority: 0.2 },
    );
    sim.at(100_500_000, () => {
      go = true;
      hogAtWake = hog.runtimeNs;
      q.wakeAll();
    });
    sim.runFor(110 * NS_PER_MS);
    // Woken in the middle of the hog's slice, it runs when that slice ends.
    expect(firstRunNs).toBe(101 * NS_PER_MS);
    // Its decayed run time starts far below the hog's, so at first it runs alone ...
    expect(hog.runtimeNs).toBe(hogAtWake);
    // ... and once the decayed run times meet (a few τ) it gets 5x the hog's CPU (weights 0.2 vs 1).
    sim.runFor(NS_PER_S);
    const [i0, h0] = [important.runtimeNs, hog.runtimeNs];
    sim.runFor(NS_PER_S);
    const ratio = (important.runtimeNs - i0) / (hog.runtimeNs - h0);
    expect(ratio).toBeGreaterThan(4.5);
    expect(ratio).toBeLessThan(5.5);
  });

  it('runs real-time threads before time-shared ones, FIFO among equals', () => {
    const sim = new Simulation({ seed: 5 });
    const order: string[] = [];
    const mk = (name: string, rt: number) =>
      sim.spawn(
        name,
        function* () {
          order.push(name);
          yield;
          order.push(name);
        },
        { realtimePriority: rt },
      );
    mk('ts', 0);
    mk('rt1a', 1);
    mk('rt5', 5);
    mk('rt1b', 1);
    sim.runUntilQuiescent();
    expect(order).toEqual(['rt5', 'rt5', 'rt1a', 'rt1b', 'rt1a', 'rt1b', 'ts', 'ts']);
  });

  it('renormalizes scaled run time over long runs without losing the order', () => {
    const sim = new Simulation({ seed: 6, scheduler: { tauNs: 10 * NS_PER_MS } });
    const a = cpuBound(sim, 'a', NS_PER_MS);
    const b = cpuBound(sim, 'b', 3 * NS_PER_MS);
    sim.runFor(2 * NS_PER_S);
    expect(sim.sched.runQueue().renormalizations).toBeGreaterThan(0);
    expect(Math.abs(a.runtimeNs - b.runtimeNs) / (a.runtimeNs + b.runtimeNs)).toBeLessThan(0.05);
  });
});

describe('Scheduler threads', () => {
  it('gives threads ids and names, joins them, and reports the scheduler state', () => {
    const sim = new Simulation({ seed: 7 });
    const log: string[] = [];
    const worker = sim.spawn('worker', function* () {
      yield* sim.sched.sleep(5 * NS_PER_MS);
      log.push(`worker done at ${sim.nowNs}`);
    });
    const waiter = sim.spawn('waiter', function* () {
      yield* sim.sched.join(worker);
      log.push(`joined at ${sim.nowNs}`);
    });
    expect(worker.id).not.toBe(waiter.id);
    expect(worker.name).toBe('worker');
    expect(sim.sched.threadCount).toBe(2);
    sim.runUntilQuiescent({ untilNs: NS_PER_MS });
    expect(sim.sched.threadInfo().map((t) => [t.id, t.name, t.state, t.switches])).toEqual([
      [worker.id, 'worker', 'waiting', 1],
      [waiter.id, 'waiter', 'waiting', 1],
    ]);
    const r = sim.runUntilQuiescent();
    expect(r.quiescent).toBe(true);
    expect(log).toEqual([`worker done at ${5 * NS_PER_MS}`, `joined at ${5 * NS_PER_MS}`]);
    expect(sim.sched.threadCount).toBe(0);
  });

  it('keeps thread-local values per thread, the app thread included', () => {
    const sim = new Simulation({ seed: 8 });
    const errno = new ThreadLocal(sim.sched, () => 0, 'errno');
    const seen: number[] = [];
    for (const v of [11, 22]) {
      sim.spawn(`t${v}`, function* () {
        errno.value = v;
        yield;
        seen.push(errno.value);
      });
    }
    errno.value = 99;
    sim.runUntilQuiescent();
    expect(seen.sort()).toEqual([11, 22]);
    expect(errno.value).toBe(99);
  });

  it('blocks the app thread until a condition a kernel thread establishes, running timers meanwhile', () => {
    const sim = new Simulation({ seed: 9 });
    let ready = false;
    sim.spawn('producer', function* () {
      yield* sim.sched.sleep(2 * NS_PER_S);
      ready = true;
    });
    expect(sim.sched.block(() => ready)).toBe(true);
    expect(sim.nowNs).toBe(2 * NS_PER_S);
    // The app slept the whole time: process CPU time is ~0 of 2 s.
    expect(sim.sched.processCpuTimeNs()).toBe(0);
    expect(sim.sched.block(() => false, sim.nowNs + NS_PER_MS)).toBe(false);
  });

  it('raises DeadlockError when the app waits for something nothing can cause', () => {
    const sim = new Simulation({ seed: 10 });
    const q = new WaitQueue('never');
    sim.spawn('stuck', function* () {
      yield q;
    });
    expect(() => sim.sched.block(() => false)).toThrow(DeadlockError);
  });

  it('propagates a kernel thread crash after waking its joiners', () => {
    const sim = new Simulation({ seed: 11 });
    const t = sim.spawn('crasher', function* () {
      yield;
      throw new Error('boom');
    });
    let joined = false;
    sim.spawn('joiner', function* () {
      yield* sim.sched.join(t);
      joined = true;
    });
    expect(() => sim.runUntilQuiescent()).toThrow('boom');
    sim.runUntilQuiescent();
    expect(joined).toBe(true);
    expect(t.state).toBe('dead');
  });

  it('resolves the async adapter once the condition holds', async () => {
    const sim = new Simulation({ seed: 12 });
    let done = false;
    sim.spawn('w', function* () {
      yield* sim.sched.sleep(NS_PER_MS);
      done = true;
    });
    await sim.sched.whenTrue(() => done);
    expect(done).toBe(true);
    expect(sim.nowNs).toBe(NS_PER_MS);
    const m = sim.sched.runAsync(sim.sched.sleep(5 * NS_PER_MS));
    await m;
    expect(sim.nowNs).toBe(6 * NS_PER_MS);
    await expect(sim.sched.whenTrue(() => false)).rejects.toThrow(DeadlockError);
  });
});

describe('Scheduler.reserveThreadId', () => {
  it("hands out ids from the kernel threads' sequence, so no two threads share one", () => {
    const sim = new Simulation({ seed: 3 });
    const a = sim.spawn('a', function* () {});
    const reserved = sim.sched.reserveThreadId();
    const b = sim.spawn('b', function* () {});
    expect(new Set([a.id, reserved, b.id]).size).toBe(3);
    expect(reserved).toBeGreaterThan(a.id);
    expect(b.id).toBeGreaterThan(reserved);
    expect(sim.sched.thread(reserved)).toBeUndefined();
  });
});
