// What the scheduler needs from the (virtual) processor it runs on, and the three processors
// osv-ts has: a vCPU worker idling in Atomics.wait on an interrupt word in guest RAM, a
// simulated CPU whose idle jumps a virtual clock to the next deadline, and (for the inprocess
// target and plain Node use) a host CPU that sleeps with Atomics.wait on a private word.
import type { Clock } from '@osv-ts/kernel-api';
import type { VirtualClock } from './clocks.js';

export interface Cpu {
  /** Runs the handlers of pending interrupts. Returns true if any interrupt was handled. */
  pollInterrupts(): boolean;
  /**
   * Idles until an interrupt may be pending or the monotonic clock reaches `deadlineNs`
   * (forever when undefined). Returns false if it cannot idle at all (nothing can ever wake
   * it: a deadlock), true otherwise. Spurious returns are allowed.
   */
  idle(deadlineNs: number | undefined): boolean;
  /**
   * Whether an interrupt is pending, without taking it (cheap: one load). Optional: a CPU
   * without it delivers interrupts only when the app thread blocks.
   */
  interruptPending?(): boolean;
}

/**
 * A vCPU's interrupt controller: the VMM sets bits of one Int32 word in guest RAM with
 * Atomics.or and wakes the vCPU with Atomics.notify (an irqfd); the vCPU takes them with
 * Atomics.exchange and idles with Atomics.wait on the word (its HLT). Atomics.wait returns at
 * once when the word is non-zero, so an interrupt raised between the check and the wait is
 * not lost.
 */
export class InterruptWordCpu implements Cpu {
  /** Interrupts handled, by bit. */
  readonly counts = new Array<number>(32).fill(0);

  constructor(
    private readonly word: Int32Array,
    private readonly index: number,
    private readonly clock: Clock,
    /** Handles the pending-interrupt bit mask. */
    private readonly handle: (pending: number) => void,
  ) {}

  interruptPending(): boolean {
    return Atomics.load(this.word, this.index) !== 0;
  }

  pollInterrupts(): boolean {
    const pending = Atomics.exchange(this.word, this.index, 0);
    if (pending === 0) return false;
    for (let bit = 0; bit < 32; bit++) if (pending & (1 << bit)) this.counts[bit]!++;
    this.handle(pending);
    return true;
  }

  idle(deadlineNs: number | undefined): boolean {
    const timeoutMs = deadlineNs === undefined ? Infinity : Math.max(0, (deadlineNs - this.clock.monotonicNs()) / 1e6);
    Atomics.wait(this.word, this.index, 0, timeoutMs);
    return true;
  }
}

/**
 * The simulated CPU: idling moves the virtual clock straight to the next deadline, so a
 * simulated second of sleeping takes no real time. With no deadline and nothing pending it
 * reports a deadlock instead of hanging.
 */
export class VirtualCpu implements Cpu {
  private readonly sources: (() => boolean)[] = [];

  constructor(readonly clock: VirtualClock) {}

  /** Adds an interrupt source: polled at every scheduling point, returns true when it did work. */
  addInterruptSource(poll: () => boolean): void {
    this.sources.push(poll);
  }

  pollInterrupts(): boolean {
    let any = false;
    for (const poll of this.sources) if (poll()) any = true;
    return any;
  }

  idle(deadlineNs: number | undefined): boolean {
    if (deadlineNs === undefined) return this.pollInterrupts();
    this.clock.advanceTo(deadlineNs);
    return true;
  }
}

/** A CPU for code running on an ordinary host thread: idles by sleeping, has no interrupts. */
export class HostCpu implements Cpu {
  private readonly sleeper = new Int32Array(new SharedArrayBuffer(4));

  constructor(
    private readonly clock: Clock,
    /** Longest single sleep, so host-side events polled by pollInterrupts are seen. */
    private readonly maxSleepMs = 10,
    private readonly poll: () => boolean = () => false,
  ) {}

  pollInterrupts(): boolean {
    return this.poll();
  }

  idle(deadlineNs: number | undefined): boolean {
    const ms =
      deadlineNs === undefined
        ? this.maxSleepMs
        : Math.min(this.maxSleepMs, Math.max(0, (deadlineNs - this.clock.monotonicNs()) / 1e6));
    Atomics.wait(this.sleeper, 0, 0, ms);
    return true;
  }
}
