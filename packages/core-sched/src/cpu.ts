/**
 * What the scheduler needs from the (virtual) processor it runs on. In a vCPU worker this is
 * the interrupt controller and `Atomics.wait` on the interrupt word; in a simulation, a
 * virtual clock that jumps to the next deadline; inprocess, a host clock and a short sleep.
 */
export interface Cpu {
  /** Runs the handlers of pending interrupts. Returns true if any interrupt was handled. */
  pollInterrupts(): boolean;
  /**
   * Idles until an interrupt may be pending or the monotonic clock reaches `deadlineNs`
   * (forever when undefined). Returns false if it cannot idle at all (nothing can ever wake
   * it: a deadlock), true otherwise. Spurious returns are allowed.
   */
  idle(deadlineNs: number | undefined): boolean;
}
