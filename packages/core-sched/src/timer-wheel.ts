// A hierarchical timing wheel (Varghese & Lauck, "Hashed and Hierarchical Timing Wheels",
// SOSP 1987; the Linux timer wheel's layout): 8 levels of 64 slots over 1024-ns ticks, so
// insert and cancel are O(1) list operations. A timer sits at the lowest level whose digit
// differs between its tick and the wheel's current tick; when the earliest timers sit at a
// higher level, the current tick moves to that slot and the slot cascades down. Firing order
// is exact (deadline, then arming order): level-0 slots (one 1024-ns tick each) keep their list
// sorted, inserting from the tail, which is O(1) for the usual case of a later or equal
// deadline; higher levels append, so timers cascade down in arming order.
//
// Deadlines beyond the wheel's 2^48 ticks (about 9 years) and non-finite ones (Infinity: "never")
// go to a small TimerHeap beside it; such a timer never fires before every wheel timer.
//
// bench/timers.mjs measures it against the heap (timer-heap.ts) at 10^5 timers; timer-queue.ts
// records the choice.
import { Timer, type TimerCallback } from './timer.js';
import { TimerHeap } from './timer-heap.js';

const TICK_NS = 1024;
const LEVEL_BITS = 6;
const SLOTS = 1 << LEVEL_BITS;
const LEVELS = 8;
const POW: number[] = Array.from({ length: LEVELS + 1 }, (_, i) => SLOTS ** i);
/** First tick the wheel cannot hold. */
const TICK_LIMIT = POW[LEVELS]!;

export class TimerWheel {
  private readonly heads = new Array<Timer | undefined>(LEVELS * SLOTS).fill(undefined);
  private readonly tails = new Array<Timer | undefined>(LEVELS * SLOTS).fill(undefined);
  private readonly counts = new Int32Array(LEVELS * SLOTS);
  /** Occupied slots per level: two 32-bit words (slots 0–31, 32–63). */
  private readonly occupied = new Int32Array(LEVELS * 2);
  private readonly far = new TimerHeap();
  private currentTick = 0;
  private nextSequence = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(deadlineNs: number, callback: TimerCallback, periodNs = 0): Timer {
    const timer = new Timer(deadlineNs, callback, periodNs);
    this.arm(timer);
    return timer;
  }

  arm(timer: Timer): void {
    if (timer.armed) this.cancel(timer);
    this.count++;
    if (!(Math.floor(timer.deadlineNs / TICK_NS) < TICK_LIMIT)) {
      this.far.arm(timer); // also NaN: a deadline that is never reached
      return;
    }
    timer.sequence = this.nextSequence++;
    this.insert(timer);
  }

  cancel(timer: Timer): boolean {
    if (timer.heapIndex >= 0) {
      this.far.cancel(timer);
    } else if (timer.wheelSlot >= 0) {
      this.unlink(timer);
    } else {
      return false;
    }
    this.count--;
    return true;
  }

  /** Earliest finite deadline; undefined when no armed timer can ever fire. */
  nextDeadlineNs(): number | undefined {
    const d = this.earliest()?.deadlineNs;
    return d !== undefined && Number.isFinite(d) ? d : undefined;
  }

  expire(nowNs: number): number {
    let fired = 0;
    for (;;) {
      const timer = this.earliest();
      if (timer === undefined || !(timer.deadlineNs <= nowNs)) return fired;
      this.cancel(timer);
      if (timer.periodNs > 0) {
        const missed = Math.floor((nowNs - timer.deadlineNs) / timer.periodNs) + 1;
        timer.overruns += missed - 1;
        timer.deadlineNs += missed * timer.periodNs;
        this.arm(timer);
      }
      fired++;
      timer.callback();
    }
  }

  private insert(timer: Timer): void {
    const tick = Math.max(this.currentTick, Math.floor(timer.deadlineNs / TICK_NS));
    let level = 0;
    while (level < LEVELS - 1 && Math.floor(tick / POW[level + 1]!) !== Math.floor(this.currentTick / POW[level + 1]!))
      level++;
    const slot = level * SLOTS + (Math.floor(tick / POW[level]!) % SLOTS);
    timer.wheelSlot = slot;
    // Find the timer to insert after: the tail for higher levels; for level 0 the last one
    // that fires before `timer`.
    let after = this.tails[slot];
    if (level === 0) {
      while (
        after !== undefined &&
        (after.deadlineNs > timer.deadlineNs ||
          (after.deadlineNs === timer.deadlineNs && after.sequence > timer.sequence))
      ) {
        after = after.wheelPrev;
      }
    }
    timer.wheelPrev = after;
    if (after === undefined) {
      timer.wheelNext = this.heads[slot];
      this.heads[slot] = timer;
    } else {
      timer.wheelNext = after.wheelNext;
      after.wheelNext = timer;
    }
    if (timer.wheelNext !== undefined) timer.wheelNext.wheelPrev = timer;
    else this.tails[slot] = timer;
    if (this.counts[slot]!++ === 0) this.occupied[slot >> 5]! |= 1 << (slot & 31);
  }

  private unlink(timer: Timer): void {
    const slot = timer.wheelSlot;
    if (timer.wheelPrev !== undefined) timer.wheelPrev.wheelNext = timer.wheelNext;
    else this.heads[slot] = timer.wheelNext;
    if (timer.wheelNext !== undefined) timer.wheelNext.wheelPrev = timer.wheelPrev;
    else this.tails[slot] = timer.wheelPrev;
    timer.wheelNext = timer.wheelPrev = undefined;
    timer.wheelSlot = -1;
    if (--this.counts[slot]! === 0) this.occupied[slot >> 5]! &= ~(1 << (slot & 31));
  }

  /** First occupied slot of `level`, or -1. */
  private firstSlot(level: number): number {
    const lo = this.occupied[level * 2]!;
    if (lo !== 0) return 31 - Math.clz32(lo & -lo);
    const hi = this.occupied[level * 2 + 1]!;
    if (hi !== 0) return 32 + 31 - Math.clz32(hi & -hi);
    return -1;
  }

  private earliest(): Timer | undefined {
    if (this.count === 0) return undefined;
    if (this.count === this.far.size) return this.far.peek();
    for (;;) {
      let level = 0;
      let s = -1;
      for (; level < LEVELS; level++) {
        s = this.firstSlot(level);
        if (s >= 0) break;
      }
      if (level === 0) return this.heads[s];
      // Everything earlier is empty: move the current tick to the start of that slot and
      // cascade its timers to lower levels.
      this.currentTick = (Math.floor(this.currentTick / POW[level + 1]!) * SLOTS + s) * POW[level]!;
      const index = level * SLOTS + s;
      let t = this.heads[index];
      while (t !== undefined) {
        const next = t.wheelNext;
        this.unlink(t);
        this.insert(t);
        t = next;
      }
    }
  }
}
