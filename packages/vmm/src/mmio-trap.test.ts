// The VMM's half of the MMIO exit: posted writes are performed in order before the access the
// guest exited for, and a posted write to no device is reported, not dropped in silence.
import { describe, expect, it } from 'vitest';
import { BootInfo, MMIO_BASE, TRAP_BATCH_ENTRY_BYTES, TrapFault, TrapOp, TrapState } from '@osv-ts/kernel-api';
import { DeviceStatus, GuestMemory, MmioReg, MmioTransportModel, type DeviceModel } from '@osv-ts/drivers-virtio';
import { serviceMmioTrap } from './mmio-trap.js';

function machine() {
  const log: string[] = [];
  const model: DeviceModel = {
    deviceId: 7,
    name: 'probe',
    deviceFeatures: 1n << 32n,
    numQueues: 1,
    maxQueueSize: 8,
    readConfig: () => 0,
    writeConfig: (offset, _size, value) => void log.push(`config ${offset}=${value}`),
    activate: () => void log.push('activate'),
    notify() {},
    reset: () => void log.push('reset'),
  };
  const memory = new GuestMemory(new SharedArrayBuffer(1 << 20));
  const transport = new MmioTransportModel(memory, MMIO_BASE, 5, model, { raise() {} });
  return { memory, transport, log };
}

/** What the guest's TrapMmioBus leaves in the mailbox before it rings the doorbell. */
function exit(memory: GuestMemory, posted: [number, number][], op: number, address = 0, value = 0): void {
  const v = memory.view;
  posted.forEach(([a, val], i) => {
    const at = BootInfo.trapBatch + i * TRAP_BATCH_ENTRY_BYTES;
    v.setUint32(at, a, true);
    v.setUint32(at + 4, 4, true);
    v.setUint32(at + 8, val, true);
  });
  v.setUint32(BootInfo.trapBatchCount, posted.length, true);
  v.setUint32(BootInfo.trapOp, op, true);
  v.setUint32(BootInfo.trapAddress, address, true);
  v.setUint32(BootInfo.trapSize, 4, true);
  v.setUint32(BootInfo.trapValue, value, true);
  v.setUint32(BootInfo.trapFault, 0, true);
  Atomics.store(memory.words, BootInfo.trapState >>> 2, TrapState.Request);
}

describe('MMIO exit with posted writes', () => {
  it('performs the posted writes in order before the read, and the read sees them', () => {
    const { memory, transport } = machine();
    const ack = DeviceStatus.ACKNOWLEDGE;
    exit(
      memory,
      [
        [MMIO_BASE + MmioReg.Status, 0],
        [MMIO_BASE + MmioReg.Status, ack],
        [MMIO_BASE + MmioReg.Status, ack | DeviceStatus.DRIVER],
      ],
      TrapOp.Read,
      MMIO_BASE + MmioReg.Status,
    );
    expect(serviceMmioTrap(memory, [transport])).toBe(4);
    expect(memory.view.getUint32(BootInfo.trapValue, true)).toBe(ack | DeviceStatus.DRIVER);
    expect(Atomics.load(memory.words, BootInfo.trapState >>> 2)).toBe(TrapState.Done);
    expect(memory.view.getUint32(BootInfo.trapFault, true)).toBe(TrapFault.None);
    // Nothing pending: nothing done.
    expect(serviceMmioTrap(memory, [transport])).toBeUndefined();
  });

  it('a flush performs only the posted writes; a write exit performs its own access last', () => {
    const { memory, transport, log } = machine();
    exit(memory, [[MMIO_BASE + MmioReg.Config, 1]], TrapOp.Flush);
    expect(serviceMmioTrap(memory, [transport])).toBe(1);
    exit(memory, [[MMIO_BASE + MmioReg.Config + 4, 2]], TrapOp.Write, MMIO_BASE + MmioReg.Config + 8, 3);
    expect(serviceMmioTrap(memory, [transport])).toBe(2);
    expect(log).toEqual(['config 0=1', 'config 4=2', 'config 8=3']);
  });

  it('stops at a posted write to no device and names its address', () => {
    const { memory, transport, log } = machine();
    const nowhere = MMIO_BASE + 0x5000;
    exit(
      memory,
      [
        [MMIO_BASE + MmioReg.Config, 1],
        [nowhere, 9],
        [MMIO_BASE + MmioReg.Config + 4, 2],
      ],
      TrapOp.Write,
      MMIO_BASE + MmioReg.Config + 8,
      3,
    );
    expect(serviceMmioTrap(memory, [transport])).toBe(1);
    expect(memory.view.getUint32(BootInfo.trapFault, true)).toBe(TrapFault.PostedWrite);
    expect(memory.view.getUint32(BootInfo.trapAddress, true)).toBe(nowhere);
    expect(log).toEqual(['config 0=1']);
  });

  it('an access to no device is a fault', () => {
    const { memory, transport } = machine();
    exit(memory, [], TrapOp.Read, 0x9000);
    expect(serviceMmioTrap(memory, [transport])).toBe(0);
    expect(memory.view.getUint32(BootInfo.trapFault, true)).toBe(TrapFault.Access);
  });
});
