// The stack's timer queue, watched. Whoever drives the stack sleeps until nextDeadlineNs() or
// a frame; a timer armed while it sleeps (by an ACK that restarts the retransmission timer, in
// the receive path of an interrupt, or by a socket call on another thread) is earlier than that
// sleep only the listener can tell it. Without it, a retransmission timeout armed that way
// waited for the driver's next wake-up: up to a second late over passt.
import { TimerQueue, type Timer } from '@osv-ts/core-sched';

export class StackTimers extends TimerQueue {
  /** Called with the deadline of every timer armed. */
  onArm: ((deadlineNs: number) => void) | undefined;

  override arm(timer: Timer): void {
    super.arm(timer);
    this.onArm?.(timer.deadlineNs);
  }
}
