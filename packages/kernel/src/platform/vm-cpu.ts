// The vCPU of a microVM: interrupts arrive as bits in the irqPending word plus a bump of the
// guestWake sequence (irqfd); idling is Atomics.wait on guestWake (the HLT instruction).
import { BootInfo } from '@osv-ts/kernel-api';
import type { Clock } from '@osv-ts/kernel-api';
import type { Cpu } from '@osv-ts/core-sched';
import type { GuestMemory } from '@osv-ts/drivers-virtio';

export class VmCpu implements Cpu {
  private readonly handlers = new Map<number, () => void>();
  private readonly pending = BootInfo.irqPending >>> 2;
  private readonly wakeSeq = BootInfo.guestWake >>> 2;
  readonly counters = { interrupts: 0, idles: 0 };

  constructor(
    private readonly mem: GuestMemory,
    private readonly clock: Clock,
  ) {}

  onInterrupt(irq: number, handler: () => void): void {
    if (irq < 0 || irq > 31) throw new RangeError(`irq ${irq} out of range 0..31`);
    this.handlers.set(irq, handler);
  }

  pollInterrupts(): boolean {
    let bits = Atomics.exchange(this.mem.words, this.pending, 0);
    if (bits === 0) return false;
    while (bits !== 0) {
      const irq = 31 - Math.clz32(bits);
      bits &= ~(1 << irq);
      this.counters.interrupts++;
      this.handlers.get(irq)?.();
    }
    return true;
  }

  idle(deadlineNs: number | undefined): boolean {
    const w = this.mem.words;
    const seq = Atomics.load(w, this.wakeSeq);
    if (Atomics.load(w, this.pending) !== 0) return true;
    let timeoutMs = Infinity;
    if (deadlineNs !== undefined) {
      timeoutMs = (deadlineNs - this.clock.monotonicNs()) / 1e6;
      if (timeoutMs <= 0) return true;
    }
    this.counters.idles++;
    Atomics.wait(w, this.wakeSeq, seq, timeoutMs);
    return true;
  }
}
