// A timer: a deadline on the monotonic clock, a callback, and for periodic timers a period.
// Timers are armed in a TimerQueue; the fields below belong to whichever structure holds it.

export type TimerCallback = () => void;

export class Timer {
  /** Position in the heap, -1 when not armed there. */
  heapIndex = -1;
  /** Slot in a TimerWheel, -1 when not armed there; and the slot's list links. */
  wheelSlot = -1;
  wheelNext: Timer | undefined = undefined;
  wheelPrev: Timer | undefined = undefined;
  /** Tie-breaker so timers with equal deadlines fire in arming order. */
  sequence = 0;
  /** Periods of a periodic timer that passed without their own expiry (POSIX timer overrun). */
  overruns = 0;
  constructor(
    public deadlineNs: number,
    readonly callback: TimerCallback,
    /** Re-arm period for periodic timers; 0 for one-shot. */
    readonly periodNs = 0,
  ) {}
  get armed(): boolean {
    return this.heapIndex >= 0 || this.wheelSlot >= 0;
  }
}
