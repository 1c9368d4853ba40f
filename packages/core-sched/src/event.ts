// A manual-reset event: set() releases every current and future waiter until reset().
// Devices use it for "the used ring has a buffer"; tests use it as a one-shot latch.
import type { Blocking } from './kernel-thread.js';
import type { Scheduler } from './scheduler.js';
import { WaitQueue } from './wait-queue.js';

export class Event {
  private signalled = false;
  readonly queue: WaitQueue;

  constructor(
    private readonly sched: Scheduler,
    readonly name = 'event',
  ) {
    this.queue = new WaitQueue(name);
  }

  get isSet(): boolean {
    return this.signalled;
  }

  set(): void {
    this.signalled = true;
    this.queue.wakeAll();
  }

  reset(): void {
    this.signalled = false;
  }

  /** Waits until set or `deadlineNs`; returns whether the event is set. */
  *wait(deadlineNs?: number): Blocking<boolean> {
    while (!this.signalled) {
      if ((yield* this.sched.waitAny([this.queue], deadlineNs)) < 0) return this.signalled;
    }
    return true;
  }
}
