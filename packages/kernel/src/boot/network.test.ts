// The kernel thread that drives the netstack sleeps until the stack's next deadline; a timer the
// stack arms while it sleeps (an ACK in an interrupt handler restarting the retransmission
// timer) must wake it, or that timer fires only at the poller's next wake-up (up to 1 s late).
import { describe, expect, it } from 'vitest';
import { Scheduler, VirtualClock, VirtualCpu } from '@osv-ts/core-sched';
import { NetStack, SeededRandom } from '@osv-ts/netstack';
import { parseLoaderOptions } from '../cmdline/loader-options.js';
import { startNetwork } from './network.js';

describe('netstack poller', () => {
  it('fires a stack timer armed from interrupt context while it sleeps at its deadline, not at its next wake-up', () => {
    const clock = new VirtualClock();
    const sched = new Scheduler(clock, new VirtualCpu(clock));
    const stack = new NetStack({ clock, entropy: new SeededRandom(1) });
    startNetwork({ stack, bringUp: () => [] }, sched, parseLoaderOptions([]), () => undefined);
    let firedAtNs: number | undefined;
    // Outside any thread, as an interrupt handler runs: 10 ms in, a stack timer due 20 ms later.
    sched.timers.add(10e6, () => void stack.timers.add(30e6, () => void (firedAtNs = clock.monotonicNs())));
    expect(sched.block(() => firedAtNs !== undefined, 5e9)).toBe(true);
    expect(firedAtNs).toBe(30e6);
  });
});
