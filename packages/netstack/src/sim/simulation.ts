// Drives stacks and links on one VirtualClock: deliver due frames, run due timers, then jump
// to the earliest next event. A run ends when the condition holds, or fails as a stall when
// nothing is scheduled (or the time/step budget runs out) first.
import type { VirtualClock } from '@osv-ts/core-sched';
import type { NetStack } from '../net-stack.js';
import type { SimulatedLink } from './simulated-link.js';

export class StallError extends Error {
  override readonly name = 'StallError';
}

export class Simulation {
  steps = 0;

  constructor(
    readonly clock: VirtualClock,
    readonly stacks: NetStack[],
    readonly links: SimulatedLink[],
  ) {}

  /** Processes everything due now (links, then stack timers) until quiescent at this instant. */
  settle(): void {
    const now = this.clock.monotonicNs();
    for (let round = 0; round < 1000; round++) {
      let work = 0;
      for (const l of this.links) work += l.deliverDue();
      for (const s of this.stacks) {
        const d = s.nextDeadlineNs();
        if (d !== undefined && d <= now) {
          s.poll(now);
          work++;
        }
      }
      if (work === 0) return;
    }
  }

  /** Advances until `done()` is true. Throws StallError on an empty schedule or an exhausted budget. */
  runUntil(done: () => boolean, maxTimeNs = 3600e9, maxSteps = 50_000_000): void {
    const limit = this.clock.monotonicNs() + maxTimeNs;
    for (;;) {
      this.settle();
      if (done()) return;
      let next = Infinity;
      for (const l of this.links) next = Math.min(next, l.nextEventNs() ?? Infinity);
      for (const s of this.stacks) next = Math.min(next, s.nextDeadlineNs() ?? Infinity);
      if (next === Infinity) throw new StallError(`stalled at ${this.clock.monotonicNs()} ns: nothing scheduled`);
      if (next > limit) throw new StallError(`time budget exhausted at ${this.clock.monotonicNs()} ns`);
      if (++this.steps > maxSteps) throw new StallError('step budget exhausted');
      this.clock.advanceTo(next);
      for (const s of this.stacks) s.poll(this.clock.monotonicNs());
    }
  }

  /** Advances the clock by `ns`, processing everything on the way. */
  runFor(ns: number): void {
    const end = this.clock.monotonicNs() + ns;
    for (;;) {
      this.settle();
      let next = Infinity;
      for (const l of this.links) next = Math.min(next, l.nextEventNs() ?? Infinity);
      for (const s of this.stacks) next = Math.min(next, s.nextDeadlineNs() ?? Infinity);
      if (next > end) {
        this.clock.advanceTo(end);
        for (const s of this.stacks) s.poll(end);
        this.settle();
        return;
      }
      this.clock.advanceTo(next);
      for (const s of this.stacks) s.poll(this.clock.monotonicNs());
    }
  }
}
