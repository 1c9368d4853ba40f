// Timers in a binary min-heap keyed by (deadline, arming order): O(log n) insert and cancel
// (each Timer remembers its heap index, so cancel needs no search). The measured alternative
// to the TimerWheel; see timer-queue.ts for which one the kernel uses.
import { Timer, type TimerCallback } from './timer.js';

export class TimerHeap {
  private readonly heap: Timer[] = [];
  private nextSequence = 0;

  get size(): number {
    return this.heap.length;
  }

  /** The earliest armed timer. */
  peek(): Timer | undefined {
    return this.heap[0];
  }

  /** Deadline of the earliest armed timer, or undefined when none is armed. */
  nextDeadlineNs(): number | undefined {
    const d = this.heap.length > 0 ? this.heap[0]!.deadlineNs : undefined;
    return d !== undefined && Number.isFinite(d) ? d : undefined;
  }

  add(deadlineNs: number, callback: TimerCallback, periodNs = 0): Timer {
    const timer = new Timer(deadlineNs, callback, periodNs);
    this.arm(timer);
    return timer;
  }

  arm(timer: Timer): void {
    if (timer.armed) this.cancel(timer);
    // A NaN deadline is never reached; as Infinity it also keeps the heap ordered.
    if (Number.isNaN(timer.deadlineNs)) timer.deadlineNs = Infinity;
    timer.sequence = this.nextSequence++;
    timer.heapIndex = this.heap.length;
    this.heap.push(timer);
    this.siftUp(timer.heapIndex);
  }

  cancel(timer: Timer): boolean {
    const i = timer.heapIndex;
    if (i < 0) return false;
    const last = this.heap.pop()!;
    timer.heapIndex = -1;
    if (i < this.heap.length) {
      this.heap[i] = last;
      last.heapIndex = i;
      this.siftDown(i);
      this.siftUp(last.heapIndex);
    }
    return true;
  }

  /** Fires every timer whose deadline is <= nowNs, in deadline order. Returns how many fired. */
  expire(nowNs: number): number {
    let fired = 0;
    while (this.heap.length > 0 && this.heap[0]!.deadlineNs <= nowNs) {
      const timer = this.heap[0]!;
      this.cancel(timer);
      if (timer.periodNs > 0) {
        // Like a POSIX interval timer: a late expiry fires once (missed periods are
        // overruns, not a burst) and the next deadline keeps the timer's phase.
        const missed = Math.floor((nowNs - timer.deadlineNs) / timer.periodNs) + 1;
        timer.overruns += missed - 1;
        timer.deadlineNs += missed * timer.periodNs;
        this.arm(timer);
      }
      fired++;
      timer.callback();
    }
    return fired;
  }

  private less(a: Timer, b: Timer): boolean {
    return a.deadlineNs < b.deadlineNs || (a.deadlineNs === b.deadlineNs && a.sequence < b.sequence);
  }

  private swap(i: number, j: number): void {
    const h = this.heap;
    const a = h[i]!;
    const b = h[j]!;
    h[i] = b;
    h[j] = a;
    b.heapIndex = i;
    a.heapIndex = j;
  }

  private siftUp(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(this.heap[i]!, this.heap[parent]!)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const n = this.heap.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(this.heap[l]!, this.heap[m]!)) m = l;
      if (r < n && this.less(this.heap[r]!, this.heap[m]!)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}
