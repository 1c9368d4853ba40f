// One vCPU's run queue, ordered as OSv's core/sched.cc orders it.
//
// Time-shared threads are ordered by exponentially decayed run time
//   R(t) = Σ priority · d_i · e^{-(t - t_i)/τ}
// over the bursts d_i that ended at t_i. Decaying every thread's R on every switch would cost
// O(threads); like OSv we store the scaled value L = R(t) · C(t) with C(t) = e^{(t - t0)/τ},
// which does not change while a thread is not running, so comparing L compares R. A burst adds
// priority · d · C(t). C grows without bound, so when it passes 2^64 every L on this CPU is
// divided by it and t0 moves to now (OSv's "renormalize").
//
// A sleeping thread's R decays while it sleeps, so a thread that waited much gets the CPU soon
// after it wakes, and a CPU-bound thread's R approaches priority · τ: that is OSv's interactive
// bonus and its fairness. Real-time threads (realtimePriority > 0) run before every
// time-shared thread, higher priority first, FIFO among equals.
//
// SMP is designed in, not built: every thread belongs to exactly one RunQueue (its vCPU). A
// wake-up from another vCPU would go through a per-CPU incoming-wakeups list drained at that
// vCPU's next scheduling point (OSv's handle_incoming_wakeups) plus an IPI (Atomics.notify).
import type { KernelThread } from './kernel-thread.js';

/** OSv's sched.hh: tau = 200ms. */
export const DEFAULT_TAU_NS = 200_000_000;
const RENORMALIZE_AT = 2 ** 64;

export class RunQueue {
  private readonly heap: KernelThread[] = [];
  /** Every live thread of this vCPU, so renormalization can rescale sleeping ones too. */
  private readonly members = new Set<KernelThread>();
  private originNs: number;
  private nextSequence = 0;
  renormalizations = 0;

  constructor(
    readonly cpuId: number,
    nowNs: number,
    readonly tauNs = DEFAULT_TAU_NS,
  ) {
    this.originNs = nowNs;
  }

  get size(): number {
    return this.heap.length;
  }

  private scaleAtNs = Number.NaN;
  private scaleValue = 1;

  /** C(t) of the header comment (cached: the clock often has not moved since the last call). */
  scale(nowNs: number): number {
    if (nowNs !== this.scaleAtNs) {
      this.scaleValue = Math.exp((nowNs - this.originNs) / this.tauNs);
      this.scaleAtNs = nowNs;
    }
    return this.scaleValue;
  }

  /** Decayed run time R(t) of `thread` in nanoseconds (for tracing and tests). */
  decayedRuntimeNs(thread: KernelThread, nowNs: number): number {
    return thread.scaledRuntime / this.scale(nowNs);
  }

  attach(thread: KernelThread, nowNs: number): void {
    this.members.add(thread);
    // A new thread starts level with the least-run runnable thread: it neither starves the
    // others (as R = 0 would for up to τ) nor waits behind them.
    const first = this.heap[0];
    thread.scaledRuntime = first !== undefined && first.realtimePriority === 0 ? first.scaledRuntime : 0;
    void nowNs;
  }

  detach(thread: KernelThread): void {
    this.members.delete(thread);
    this.remove(thread);
  }

  /** Charges a burst of `ranNs` that ended at `nowNs` to `thread`. */
  charge(thread: KernelThread, ranNs: number, nowNs: number): void {
    let c = this.scale(nowNs);
    if (c > RENORMALIZE_AT) {
      for (const t of this.members) t.scaledRuntime /= c;
      this.originNs = nowNs;
      this.scaleAtNs = Number.NaN;
      this.renormalizations++;
      c = 1;
    }
    if (ranNs > 0) thread.scaledRuntime += thread.priority * ranNs * c;
  }

  push(thread: KernelThread): void {
    thread.enqueueSequence = this.nextSequence++;
    thread.queueIndex = this.heap.length;
    this.heap.push(thread);
    this.siftUp(thread.queueIndex);
  }

  peek(): KernelThread | undefined {
    return this.heap[0];
  }

  pop(): KernelThread | undefined {
    const top = this.heap[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  remove(thread: KernelThread): void {
    const i = thread.queueIndex;
    if (i < 0) return;
    const last = this.heap.pop()!;
    thread.queueIndex = -1;
    if (i < this.heap.length) {
      this.heap[i] = last;
      last.queueIndex = i;
      this.siftDown(i);
      this.siftUp(last.queueIndex);
    }
  }

  /** True when `a` should run before `b`. */
  before(a: KernelThread, b: KernelThread): boolean {
    if (a.realtimePriority !== b.realtimePriority) return a.realtimePriority > b.realtimePriority;
    if (a.realtimePriority === 0 && a.scaledRuntime !== b.scaledRuntime) return a.scaledRuntime < b.scaledRuntime;
    return a.enqueueSequence < b.enqueueSequence;
  }

  private siftUp(i: number): void {
    const h = this.heap;
    const t = h[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent]!;
      if (!this.before(t, p)) break;
      h[i] = p;
      p.queueIndex = i;
      i = parent;
    }
    h[i] = t;
    t.queueIndex = i;
  }

  private siftDown(i: number): void {
    const h = this.heap;
    const n = h.length;
    const t = h[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.before(h[r]!, h[l]!) ? r : l;
      if (!this.before(h[c]!, t)) break;
      h[i] = h[c]!;
      h[i]!.queueIndex = i;
      i = c;
    }
    h[i] = t;
    t.queueIndex = i;
  }
}
