// Device initialization (virtio 1.2 §3.1.1) through the mmio transport, including the ways it
// must fail.
import { describe, expect, it } from 'vitest';
import { DeviceStatus, Feature, MmioReg, bit } from '../mmio/registers.js';
import { VirtioInitError, VirtioMmioTransport } from '../guest/mmio-transport.js';
import { LoopbackMachine } from '../testing/loopback-machine.js';
import type { DeviceModel } from './device-model.js';

function model(features: bigint, maxQueueSize = 16): DeviceModel & { activated: number } {
  return {
    deviceId: 42,
    name: 'test',
    deviceFeatures: features,
    numQueues: 1,
    maxQueueSize,
    activated: 0,
    readConfig: () => 0,
    activate() {
      this.activated++;
    },
    notify() {},
    reset() {},
  };
}

function setup(features: bigint, maxQueueSize = 16) {
  const m = model(features, maxQueueSize);
  const machine = new LoopbackMachine(1 << 20, [m]);
  const t = new VirtioMmioTransport(machine.memory, machine, machine.devices[0]!);
  let next = 0x40000;
  const dma = {
    alloc: (n: number) => ((next += Math.ceil(n / 4096) * 4096), next - Math.ceil(n / 4096) * 4096),
    free: () => {},
  };
  return { m, machine, t, dma };
}

describe('virtio-mmio initialization', () => {
  it('probes, negotiates the common subset and reaches DRIVER_OK', () => {
    const { m, t, dma } = setup(bit(Feature.VERSION_1) | bit(Feature.EVENT_IDX) | bit(5n));
    expect(t.probe()).toEqual({ deviceId: 42, vendorId: expect.any(Number) });
    expect(t.negotiate(bit(Feature.EVENT_IDX) | bit(7n))).toBe(bit(Feature.VERSION_1) | bit(Feature.EVENT_IDX));
    t.setupQueue(0, 64, dma);
    t.driverOk();
    expect(t.status()).toBe(
      DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER | DeviceStatus.FEATURES_OK | DeviceStatus.DRIVER_OK,
    );
    expect(m.activated).toBe(1);
  });

  it('fails and sets FAILED when the device lacks VERSION_1', () => {
    const { t } = setup(bit(Feature.EVENT_IDX));
    expect(() => t.negotiate(0n)).toThrow(VirtioInitError);
    expect(t.status() & DeviceStatus.FAILED).toBe(DeviceStatus.FAILED);
  });

  it('fails when a required feature is not offered', () => {
    const { t } = setup(bit(Feature.VERSION_1));
    expect(() => t.negotiate(0n, bit(Feature.INDIRECT_DESC))).toThrow(/required features/);
    expect(t.status() & DeviceStatus.FAILED).toBe(DeviceStatus.FAILED);
  });

  it('refuses FEATURES_OK for features it did not offer (§2.2.2)', () => {
    const { machine, t } = setup(bit(Feature.VERSION_1));
    const base = machine.devices[0]!.baseAddress;
    machine.write(base + MmioReg.Status, 4, DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER);
    machine.write(base + MmioReg.DriverFeaturesSel, 4, 0);
    machine.write(base + MmioReg.DriverFeatures, 4, 1 << 3); // not offered
    machine.write(base + MmioReg.DriverFeaturesSel, 4, 1);
    machine.write(base + MmioReg.DriverFeatures, 4, 1); // VERSION_1
    machine.write(base + MmioReg.Status, 4, DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER | DeviceStatus.FEATURES_OK);
    expect(t.status() & DeviceStatus.FEATURES_OK).toBe(0);
  });

  it('flags DEVICE_NEEDS_RESET for DRIVER_OK before FEATURES_OK and for a bad queue size', () => {
    const a = setup(bit(Feature.VERSION_1));
    const base = a.machine.devices[0]!.baseAddress;
    a.machine.write(base + MmioReg.Status, 4, DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER | DeviceStatus.DRIVER_OK);
    expect(a.t.needsReset()).toBe(true);
    expect(a.m.activated).toBe(0);

    const b = setup(bit(Feature.VERSION_1));
    const bb = b.machine.devices[0]!.baseAddress;
    b.t.negotiate(0n);
    b.machine.write(bb + MmioReg.QueueSel, 4, 0);
    b.machine.write(bb + MmioReg.QueueNum, 4, 3); // not a power of two
    b.machine.write(bb + MmioReg.QueueReady, 4, 1);
    expect(b.t.needsReset()).toBe(true);
  });

  it('reports an absent queue and clamps the size to QueueNumMax', () => {
    const { t, dma } = setup(bit(Feature.VERSION_1), 8);
    t.negotiate(0n);
    expect(() => t.setupQueue(1, 8, dma)).toThrow(/not available/);
    expect(t.setupQueue(0, 256, dma).size).toBe(8);
  });

  it('reads QueueReady only when no reset of its own vouches for it; a refused queue fails DRIVER_OK', () => {
    const { machine, t, dma } = setup(bit(Feature.VERSION_1), 8);
    const base = machine.devices[0]!.baseAddress;
    const reads: number[] = [];
    const read = machine.read.bind(machine);
    machine.read = (address, size) => (reads.push(address - base), read(address, size));
    t.negotiate(0n);
    t.setupQueue(0, 8, dma);
    expect(reads).not.toContain(MmioReg.QueueReady);
    expect(() => t.setupQueue(0, 8, dma)).toThrow(/queue 0 already in use/);
    expect(reads).toContain(MmioReg.QueueReady);

    const b = setup(bit(Feature.VERSION_1), 8);
    b.t.negotiate(0n);
    b.t.setupQueue(0, 8, b.dma);
    // The device breaks before DRIVER_OK (as it does for a queue it refuses).
    b.machine.transports[0]!.fail('refused');
    expect(() => b.t.driverOk()).toThrow(/device refused queue 0 of size 8 or DRIVER_OK/);
    expect(b.m.activated).toBe(0);
  });

  it('resets to status 0 and forgets the negotiation', () => {
    const { t, dma } = setup(bit(Feature.VERSION_1));
    t.negotiate(0n);
    t.setupQueue(0, 8, dma);
    t.driverOk();
    t.reset(dma);
    expect(t.status()).toBe(0);
  });
});
