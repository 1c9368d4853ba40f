// A condition variable (POSIX pthread_cond_*): wait() releases the mutex and parks in one
// step, so a signal sent after the caller saw its predicate false cannot be lost. Wake-ups may
// be spurious; callers loop on their predicate.
import type { Blocking } from './kernel-thread.js';
import type { Mutex } from './mutex.js';
import type { Scheduler } from './scheduler.js';
import { WaitQueue } from './wait-queue.js';

export class CondVar {
  readonly queue: WaitQueue;

  constructor(
    private readonly sched: Scheduler,
    readonly name = 'condvar',
  ) {
    this.queue = new WaitQueue(name);
  }

  /**
   * Releases `mutex`, waits for a signal or `deadlineNs`, relocks. Returns false when the
   * deadline ended the wait (ETIMEDOUT in POSIX terms), true otherwise.
   */
  *wait(mutex: Mutex, deadlineNs?: number): Blocking<boolean> {
    mutex.unlock();
    const source = yield* this.sched.waitAny([this.queue], deadlineNs);
    yield* mutex.lock();
    return source >= 0;
  }

  signal(): void {
    this.queue.wakeOne();
  }

  broadcast(): void {
    this.queue.wakeAll();
  }
}
