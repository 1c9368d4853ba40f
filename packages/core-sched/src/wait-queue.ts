// Wait queues: the one way anything in the kernel waits (DESIGN.md §3).
// A waiter is parked on the queue; wake() makes it runnable, and it re-checks its own
// condition (so spurious wake-ups are harmless and no wake-up can be lost: a kernel thread
// checks its condition and parks in one synchronous step, and nothing else runs in between).

export interface Waiter {
  /** Called by the queue when the waiter should re-check its condition; `source` is that queue. */
  wake(source?: WaitQueue): void;
}

export class WaitQueue {
  private readonly waiters = new Set<Waiter>();

  constructor(readonly name = 'waitqueue') {}

  get size(): number {
    return this.waiters.size;
  }

  add(waiter: Waiter): void {
    this.waiters.add(waiter);
  }

  remove(waiter: Waiter): void {
    this.waiters.delete(waiter);
  }

  /** Wakes the longest-waiting waiter. */
  wakeOne(): boolean {
    for (const w of this.waiters) {
      this.waiters.delete(w);
      w.wake(this);
      return true;
    }
    return false;
  }

  wakeAll(): number {
    if (this.waiters.size === 0) return 0;
    const all = [...this.waiters];
    this.waiters.clear();
    for (const w of all) w.wake(this);
    return all.length;
  }
}
