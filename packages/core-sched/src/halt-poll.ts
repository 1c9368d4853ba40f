// How long to poll before sleeping (Linux KVM's halt-polling, virt/kvm/kvm_main.c
// grow_halt_poll_ns/shrink_halt_poll_ns, and the guest haltpoll cpuidle governor): a waiter
// that expects its wake-up within microseconds polls for it instead of paying a futex sleep and
// wake (~10-50 µs on a loaded host); one that keeps sleeping long stops polling, so an idle
// guest costs no CPU. The window grows while sleeps are short (the wake-up would have come
// during a longer poll) and shrinks when they are long. Pure policy: times come in as numbers.

export interface HaltPollOptions {
  /** The window after the first short sleep (and the smallest non-zero one). */
  readonly startNs: number;
  /** The largest window; a sleep longer than this shrinks it. */
  readonly maxNs: number;
}

export class HaltPollWindow {
  /** How long to poll before the next sleep (0: do not poll). */
  windowNs = 0;
  readonly counters = { polledWakes: 0, sleeps: 0, grows: 0, shrinks: 0 };

  constructor(readonly options: HaltPollOptions) {
    if (!(options.startNs > 0 && options.maxNs >= options.startNs))
      throw new RangeError(`halt-poll window: need 0 < startNs <= maxNs (got ${options.startNs}, ${options.maxNs})`);
  }

  /** The wake-up came while polling: the window was right. */
  pollSucceeded(): void {
    this.counters.polledWakes++;
  }

  /** The poll found nothing and the waiter slept for `blockedNs` before its wake-up. */
  slept(blockedNs: number): void {
    this.counters.sleeps++;
    const { startNs, maxNs } = this.options;
    if (blockedNs <= maxNs) {
      // A longer poll would have caught it (KVM: grow when block_ns < halt_poll_ns_max).
      if (this.windowNs < maxNs) {
        this.counters.grows++;
        this.windowNs = Math.min(maxNs, Math.max(startNs, this.windowNs * 2));
      }
    } else if (this.windowNs > 0) {
      this.counters.shrinks++;
      this.windowNs = this.windowNs / 2 < startNs ? 0 : this.windowNs / 2;
    }
  }
}
