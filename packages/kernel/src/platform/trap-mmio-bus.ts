// MMIO through the trap mailbox in the boot info page: the guest posts the access, rings the
// VMM's doorbell, and waits until the VMM has emulated it — a synchronous VM exit, as KVM exits
// to the VMM on an MMIO access. A short spin comes before Atomics.wait because the VMM usually
// answers within microseconds and a futex wait/wake round trip costs ~15 µs (docs/architecture.md §1).
// Posted writes (MmioBus.post) wait in the mailbox's batch and ride along with the next exit,
// so a driver's run of setup writes and the read that ends it cost one exit, not one each.
import { BootInfo, TRAP_BATCH_ENTRY_BYTES, TRAP_BATCH_MAX, TrapFault, TrapOp, TrapState } from '@osv-ts/kernel-api';
import type { GuestMemory, MmioBus } from '@osv-ts/drivers-virtio';

const SPIN_ITERATIONS = 2000;

export class MmioFaultError extends Error {
  override readonly name = 'MmioFaultError';
}

export class TrapMmioBus implements MmioBus {
  private readonly words: Int32Array;
  private readonly state: number;
  /** Posted writes waiting in the mailbox's batch. */
  private posted = 0;
  readonly counters = { reads: 0, writes: 0, posted: 0, exits: 0, doorbells: 0 };

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

  post(address: number, size: 1 | 2 | 4, value: number): void {
    this.counters.posted++;
    if (this.posted === TRAP_BATCH_MAX) this.trap(TrapOp.Flush, 0, 0, 0);
    const v = this.mem.view;
    const at = BootInfo.trapBatch + this.posted * TRAP_BATCH_ENTRY_BYTES;
    v.setUint32(at, address, true);
    v.setUint32(at + 4, size, true);
    v.setUint32(at + 8, value >>> 0, true);
    this.posted++;
  }

  flush(): void {
    if (this.posted > 0) this.trap(TrapOp.Flush, 0, 0, 0);
  }

  ringDoorbell(): void {
    if (this.posted > 0) {
      this.trap(TrapOp.Flush, 0, 0, 0); // the exit rings the doorbell itself
      return;
    }
    this.doorbell();
  }

  private doorbell(): void {
    this.counters.doorbells++;
    const i = BootInfo.hostWake >>> 2;
    Atomics.add(this.words, i, 1);
    Atomics.notify(this.words, i);
  }

  private trap(op: number, address: number, size: number, value: number): number {
    this.counters.exits++;
    const w = this.words;
    const v = this.mem.view;
    v.setUint32(BootInfo.trapBatchCount, this.posted, true);
    this.posted = 0;
    v.setUint32(BootInfo.trapOp, op, true);
    v.setUint32(BootInfo.trapAddress, address, true);
    v.setUint32(BootInfo.trapSize, size, true);
    v.setUint32(BootInfo.trapValue, value >>> 0, true);
    v.setUint32(BootInfo.trapFault, 0, true);
    Atomics.store(w, this.state, TrapState.Request);
    this.doorbell();
    let spins = 0;
    while (Atomics.load(w, this.state) !== TrapState.Done) {
      if (++spins > SPIN_ITERATIONS) Atomics.wait(w, this.state, TrapState.Request, 1000);
    }
    const result = v.getUint32(BootInfo.trapValue, true);
    const fault = v.getUint32(BootInfo.trapFault, true);
    Atomics.store(w, this.state, TrapState.Idle);
    if (fault) {
      const at = v.getUint32(BootInfo.trapAddress, true);
      const what = fault === TrapFault.PostedWrite ? 'posted write' : op === TrapOp.Read ? 'read' : 'write';
      throw new MmioFaultError(`MMIO ${what} at 0x${at.toString(16)}: no device there`);
    }
    return result;
  }
}
