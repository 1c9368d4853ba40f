// A counting semaphore (POSIX sem_*, OSv's semaphore.hh). post() wakes every waiter and each
// re-checks the count: simple, and no wake-up is lost when a waiter gives up at its deadline.
import { Errno, KernelError } from '@osv-ts/kernel-api';
import type { Blocking } from './kernel-thread.js';
import type { Scheduler } from './scheduler.js';
import { WaitQueue } from './wait-queue.js';

export class Semaphore {
  readonly queue: WaitQueue;

  constructor(
    private readonly sched: Scheduler,
    private count: number,
    readonly name = 'semaphore',
  ) {
    if (!Number.isInteger(count) || count < 0) throw new KernelError(Errno.EINVAL, `${name}: initial count ${count}`);
    this.queue = new WaitQueue(name);
  }

  get value(): number {
    return this.count;
  }

  tryWait(units = 1): boolean {
    if (this.count < units) return false;
    this.count -= units;
    return true;
  }

  /** Takes `units`, parking until they are available or `deadlineNs`. Returns false on the deadline. */
  *wait(units = 1, deadlineNs?: number): Blocking<boolean> {
    while (!this.tryWait(units)) {
      const source = yield* this.sched.waitAny([this.queue], deadlineNs);
      if (source < 0 && !this.tryWait(units)) return false;
      if (source < 0) return true;
    }
    return true;
  }

  post(units = 1): void {
    this.count += units;
    this.queue.wakeAll();
  }
}
