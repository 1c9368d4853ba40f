// MMIO through the trap mailbox in the boot info page: the guest posts the access, rings the
// VMM's doorbell, and waits until the VMM has emulated it — a synchronous VM exit, as KVM exits
// to the VMM on an MMIO access. A short spin comes before Atomics.wait because the VMM usually
// answers within microseconds and a futex wait/wake round trip costs ~15 µs (docs/architecture.md §1).
import { BootInfo, TrapOp, TrapState } from '@osv-ts/kernel-api';
import type { GuestMemory, MmioBus } from '@osv-ts/drivers-virtio';

const SPIN_ITERATIONS = 2000;

export class MmioFaultError extends Error {
  override readonly name = 'MmioFaultError';
}

export class TrapMmioBus implements MmioBus {
  private readonly words: Int32Array;
  private readonly state: number;
  readonly counters = { reads: 0, writes: 0, doorbells: 0 };

  constructor(private readonly mem: GuestMemory) {
    this.words = mem.words;
    this.state = BootInfo.trapState >>> 2;
  }

  read(address: number, size: 1 | 2 | 4): number {
    this.counters.reads++;
    return this.trap(TrapOp.Read, address, size, 0);
  }

  write(address: number, size: 1 | 2 | 4, value: number): void {
    this.counters.writes++;
    this.trap(TrapOp.Write, address, size, value);
  }

  ringDoorbell(): void {
    this.counters.doorbells++;
    const i = BootInfo.hostWake >>> 2;
    Atomics.add(this.words, i, 1);
    Atomics.notify(this.words, i);
  }

  private trap(op: number, address: number, size: number, value: number): number {
    const w = this.words;
    const v = this.mem.view;
    v.setUint32(BootInfo.trapOp, op, true);
    v.setUint32(BootInfo.trapAddress, address, true);
    v.setUint32(BootInfo.trapSize, size, true);
    v.setUint32(BootInfo.trapValue, value >>> 0, true);
    v.setUint32(BootInfo.trapFault, 0, true);
    Atomics.store(w, this.state, TrapState.Request);
    this.ringDoorbell();
    let spins = 0;
    while (Atomics.load(w, this.state) !== TrapState.Done) {
      if (++spins > SPIN_ITERATIONS) Atomics.wait(w, this.state, TrapState.Request, 1000);
    }
    const result = v.getUint32(BootInfo.trapValue, true);
    const fault = v.getUint32(BootInfo.trapFault, true);
    Atomics.store(w, this.state, TrapState.Idle);
    if (fault)
      throw new MmioFaultError(
        `MMIO ${op === TrapOp.Read ? 'read' : 'write'} at 0x${address.toString(16)}: no device there`,
      );
    return result;
  }
}
