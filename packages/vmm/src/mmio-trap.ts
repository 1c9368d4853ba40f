// The VMM's half of the MMIO trap (kernel-api's machine ABI): performs the guest's posted
// writes, in order, then the access it exited for, against the device windows' transport
// models, and completes the exit. Isomorphic: the Node Machine and the browser VMM share it.
import {
  BootInfo,
  MMIO_WINDOW_BYTES,
  TRAP_BATCH_ENTRY_BYTES,
  TRAP_BATCH_MAX,
  TrapFault,
  TrapOp,
  TrapState,
} from '@osv-ts/kernel-api';
import type { GuestMemory, MmioTransportModel } from '@osv-ts/drivers-virtio';

/**
 * Emulates the pending exit, if there is one, and wakes the vCPU. Returns the number of
 * register accesses it performed, or undefined when no exit was pending.
 */
export function serviceMmioTrap(memory: GuestMemory, transports: readonly MmioTransportModel[]): number | undefined {
  const w = memory.words;
  const stateIndex = BootInfo.trapState >>> 2;
  if (Atomics.load(w, stateIndex) !== TrapState.Request) return undefined;
  const accesses = emulate(memory, transports);
  Atomics.store(w, stateIndex, TrapState.Done);
  Atomics.notify(w, stateIndex);
  return accesses;
}

function emulate(memory: GuestMemory, transports: readonly MmioTransportModel[]): number {
  const v = memory.view;
  const posted = Math.min(v.getUint32(BootInfo.trapBatchCount, true), TRAP_BATCH_MAX);
  for (let i = 0; i < posted; i++) {
    const at = BootInfo.trapBatch + i * TRAP_BATCH_ENTRY_BYTES;
    const address = v.getUint32(at, true);
    const size = v.getUint32(at + 4, true);
    const t = windowAt(transports, address);
    if (!t || !validSize(size)) {
      // Later posted writes and the access itself are dropped: the driver learns of it now.
      v.setUint32(BootInfo.trapAddress, address, true);
      v.setUint32(BootInfo.trapFault, TrapFault.PostedWrite, true);
      return i;
    }
    t.write(address - t.baseAddress, size, v.getUint32(at + 8, true));
  }
  const op = v.getUint32(BootInfo.trapOp, true);
  if (op === TrapOp.Flush) return posted;
  const address = v.getUint32(BootInfo.trapAddress, true);
  const size = v.getUint32(BootInfo.trapSize, true);
  const t = windowAt(transports, address);
  if (!t || !validSize(size)) {
    v.setUint32(BootInfo.trapFault, TrapFault.Access, true);
    return posted;
  }
  const offset = address - t.baseAddress;
  if (op === TrapOp.Read) v.setUint32(BootInfo.trapValue, t.read(offset, size) >>> 0, true);
  else t.write(offset, size, v.getUint32(BootInfo.trapValue, true));
  return posted + 1;
}

function windowAt(transports: readonly MmioTransportModel[], address: number): MmioTransportModel | undefined {
  for (const t of transports) if (address >= t.baseAddress && address < t.baseAddress + MMIO_WINDOW_BYTES) return t;
  return undefined;
}

function validSize(size: number): size is 1 | 2 | 4 {
  return size === 1 || size === 2 || size === 4;
}
