// Wait queues: the one way anything in the kernel waits (docs/architecture.md §3).
// A waiter is parked on the queue; wake() makes it runnable, and it re-checks its own
// condition (so spurious wake-ups are harmless and no wake-up can be lost: a kernel thread
// checks its condition and parks in one synchronous step, and nothing else runs in between).

export interface Waiter {
  /** Called by the queue when the waiter should re-check its condition; `source` is that queue. */
  wake(source?: WaitQueue): void;
}

export class WaitQueue {
  // An array in arrival order: wait queues hold a handful of waiters, for which push/shift and
  // a short indexOf beat a Set's iterator (measured in bench/context-switch.mjs).
  private waiters: Waiter[] = [];

  constructor(readonly name = 'waitqueue') {}

  get size(): number {
    return this.waiters.length;
  }

  add(waiter: Waiter): void {
    if (this.waiters.indexOf(waiter) < 0) this.waiters.push(waiter);
  }

  remove(waiter: Waiter): void {
    const i = this.waiters.indexOf(waiter);
    if (i >= 0) this.waiters.splice(i, 1);
  }

  /** Wakes the longest-waiting waiter. */
  wakeOne(): boolean {
    const w = this.waiters.shift();
    if (w === undefined) return false;
    w.wake(this);
    return true;
  }

  wakeAll(): number {
    const all = this.waiters;
    if (all.length === 0) return 0;
    this.waiters = [];
    for (const w of all) w.wake(this);
    return all.length;
  }
}
