// A sleeping mutex (OSv's lockfree::mutex in spirit): not recursive, owned by the thread that
// locked it (a kernel thread, or the app thread). Waiters park on a wait queue; unlock wakes
// the longest waiter, which re-checks (a thread that arrives meanwhile may take the lock first;
// the woken one parks again and is woken by the next unlock, so no wake-up is lost).
import { Errno, KernelError } from '@osv-ts/kernel-api';
import type { Blocking } from './kernel-thread.js';
import type { Scheduler } from './scheduler.js';
import { WaitQueue } from './wait-queue.js';

/** Owner token of the app thread, which is not a KernelThread. */
export const APP_THREAD = Symbol('app thread');

export class Mutex {
  private ownerToken: unknown = undefined;
  readonly queue: WaitQueue;

  constructor(
    private readonly sched: Scheduler,
    readonly name = 'mutex',
  ) {
    this.queue = new WaitQueue(name);
  }

  get locked(): boolean {
    return this.ownerToken !== undefined;
  }

  /** True when the calling thread holds the lock. */
  get ownedByCaller(): boolean {
    return this.ownerToken === this.caller();
  }

  tryLock(): boolean {
    if (this.ownerToken !== undefined) return false;
    this.ownerToken = this.caller();
    return true;
  }

  /** Locks, parking while another thread holds the lock. Throws EDEADLK on relocking. */
  *lock(): Blocking {
    if (this.ownedByCaller) throw new KernelError(Errno.EDEADLK, `${this.name}: already held by the caller`);
    while (!this.tryLock()) yield this.queue;
  }

  /** Throws EPERM when the caller does not hold the lock. */
  unlock(): void {
    if (!this.ownedByCaller)
      throw new KernelError(Errno.EPERM, `${this.name}: unlock by a thread that does not hold it`);
    this.ownerToken = undefined;
    this.queue.wakeOne();
  }

  private caller(): unknown {
    return this.sched.currentThread ?? APP_THREAD;
  }
}
