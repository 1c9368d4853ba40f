import { describe, expect, it } from 'vitest';
import { KernelError, NS_PER_MS } from '@osv-ts/kernel-api';
import { Simulation } from './testing/simulation.js';
import { ClockId, PosixClocks } from './posix-clocks.js';
import { HostClock } from './clocks.js';

describe('PosixClocks', () => {
  it('separates monotonic, realtime, process and thread CPU time', () => {
    const sim = new Simulation({ seed: 1, epochNs: 1_000_000_000_000n });
    const clocks = new PosixClocks(sim.clock, sim.sched);
    let threadCpu = -1n;
    sim.spawn('worker', function* () {
      yield* sim.compute(3 * NS_PER_MS);
      threadCpu = clocks.timeNs(ClockId.THREAD_CPUTIME_ID);
      yield* sim.sched.sleep(10 * NS_PER_MS);
    });
    sim.consume(NS_PER_MS); // the app computes 1 ms
    sim.sched.block(() => sim.sched.threadCount === 0);
    expect(clocks.timeNs(ClockId.MONOTONIC)).toBe(14_000_000n);
    expect(clocks.timeNs(ClockId.REALTIME)).toBe(1_000_014_000_000n);
    expect(threadCpu).toBe(3_000_000n);
    expect(clocks.timeNs(ClockId.PROCESS_CPUTIME_ID)).toBe(4_000_000n);
    expect(clocks.timeNs(ClockId.THREAD_CPUTIME_ID)).toBe(1_000_000n); // the app thread's own
    expect(clocks.resolutionNs(ClockId.MONOTONIC)).toBe(1n);
    expect(clocks.resolutionNs(ClockId.MONOTONIC_COARSE)).toBe(1_000_000n);
    expect(() => clocks.timeNs(99)).toThrow(KernelError);
  });

  it('reads host time that never goes backwards and matches the platform realtime', () => {
    const host = new HostClock();
    let last = host.monotonicNs();
    for (let i = 0; i < 1000; i++) {
      const t = host.monotonicNs();
      expect(t).toBeGreaterThanOrEqual(last);
      last = t;
    }
    const diffMs = Number(host.realtimeNs() / 1_000_000n) - Date.now();
    expect(Math.abs(diffMs)).toBeLessThan(50);
  });
});
