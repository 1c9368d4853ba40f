// The app thread's preemption point (Scheduler.preemptionPoint, at the end of each system call):
// a pending interrupt is delivered there and the kernel threads it wakes run, for a bounded
// time, and then not again until the app has had its slice; with nothing pending it runs
// nothing. The virtual clock moves only when the test moves it.
import { describe, expect, it } from 'vitest';
import { InterruptWordCpu } from './cpu.js';
import { VirtualClock } from './clocks.js';
import { Scheduler } from './scheduler.js';
import { WaitQueue } from './wait-queue.js';

function machine() {
  const clock = new VirtualClock();
  const word = new Int32Array(new SharedArrayBuffer(4));
  const irq = new WaitQueue();
  const cpu = new InterruptWordCpu(word, 0, clock, () => irq.wakeAll());
  const sched = new Scheduler(clock, cpu);
  const raise = (): void => void Atomics.or(word, 0, 1);
  return { sched, irq, raise, cpu, clock };
}

describe('Scheduler.preemptionPoint', () => {
  it('delivers a pending interrupt and runs the kernel thread it wakes; nothing pending runs nothing', () => {
    const { sched, irq, raise, cpu } = machine();
    let served = 0;
    sched.spawn(
      function* () {
        for (;;) {
          yield irq;
          served++;
        }
      },
      { name: 'server' },
    );
    sched.runPending(); // the server starts and waits for its interrupt
    sched.preemptionPoint();
    expect(served).toBe(0);
    raise();
    sched.preemptionPoint();
    expect(served).toBe(1);
    expect(cpu.counts[0]).toBe(1);
    sched.preemptionPoint();
    expect(served).toBe(1);
  });

  it('runs kernel threads for a bounded time, then not again until the app has had its slice', () => {
    const { sched, irq, raise, clock } = machine();
    let served = 0;
    sched.spawn(
      function* () {
        yield irq;
        for (;;) {
          served++;
          clock.advanceBy(100_000); // each request costs 0.1 ms of the vCPU
          yield; // and another is always waiting
        }
      },
      { name: 'busy-server' },
    );
    sched.runPending();
    raise();
    sched.preemptionPoint();
    // 0.4 ms of kernel time: four requests of 0.1 ms, then the app runs again.
    expect(served).toBe(4);
    raise();
    clock.advanceBy(1_000_000);
    sched.preemptionPoint(); // 1 ms into a 4 ms slice: the app keeps the vCPU
    expect(served).toBe(4);
    clock.advanceBy(3_000_000);
    sched.preemptionPoint();
    expect(served).toBe(8);
  });
});
