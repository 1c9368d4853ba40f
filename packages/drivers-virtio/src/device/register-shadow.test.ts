// The register shadow (MmioShadow): what the driver reads from guest RAM without a trap must be
// what the transport model answers to a trapped read (virtio 1.2 §4.2.2), before and after a
// reset and a configuration change; writes and registers with side effects still trap.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PageAllocator } from '@osv-ts/core-sched';
import { MmioReg, MmioShadow, SHADOW_MAGIC } from '../mmio/registers.js';
import type { MmioBus } from '../mmio/mmio-bus.js';
import { VirtioMmioTransport } from '../guest/mmio-transport.js';
import { LoopbackMachine } from '../testing/loopback-machine.js';
import { MemoryBlockBackend } from '../blk/block-backend.js';
import { VirtioBlkDevice } from '../blk/blk-device.js';
import { VirtioConsoleDevice } from '../console/console-device.js';
import { NetPair } from '../net/net-backend.js';
import { VirtioNetDevice } from '../net/net-device.js';
import { VirtioRngDevice } from '../rng/rng-device.js';
import { VirtioNetDriver } from '../net/net-driver.js';
import type { DeviceModel } from './device-model.js';
import type { MmioTransportModel } from './mmio-transport-model.js';

/** A bus that records every access that reached the device (every trap). */
class CountingBus implements MmioBus {
  readonly traps: { op: 'read' | 'write'; offset: number; value?: number }[] = [];
  constructor(private readonly machine: LoopbackMachine) {}
  read(address: number, size: 1 | 2 | 4): number {
    this.traps.push({ op: 'read', offset: address & 0xfff });
    return this.machine.read(address, size);
  }
  write(address: number, size: 1 | 2 | 4, value: number): void {
    this.traps.push({ op: 'write', offset: address & 0xfff, value });
    this.machine.write(address, size, value);
  }
  post(address: number, size: 1 | 2 | 4, value: number): void {
    this.write(address, size, value);
  }
  flush(): void {}
  ringDoorbell(): void {
    this.machine.ringDoorbell();
  }
  reads(offset: number): number {
    return this.traps.filter((t) => t.op === 'read' && t.offset === offset).length;
  }
}

function devices(): DeviceModel[] {
  const disk = new MemoryBlockBackend(new Uint8Array(512 * 1000));
  return [
    new VirtioConsoleDevice('console0', { write: () => {} }, 132, 43),
    new VirtioBlkDevice('disk0', disk),
    new VirtioNetDevice('net0', new NetPair().a, { mac: new Uint8Array([0x52, 0x54, 0, 1, 2, 3]), mtu: 9000 }),
    new VirtioRngDevice('rng0', { fill: (b: Uint8Array) => b.fill(7) }),
  ];
}

/** Every shadowed register of one window, read from guest RAM, beside the trapped read. */
function shadowAgainstTraps(machine: LoopbackMachine, t: MmioTransportModel): { shadow: number[]; trapped: number[] } {
  const v = machine.memory.view;
  const base = t.baseAddress;
  const table = base + MmioShadow.offset;
  const shadow: number[] = [];
  const trapped: number[] = [];
  for (const reg of [MmioReg.MagicValue, MmioReg.Version, MmioReg.DeviceID, MmioReg.VendorID]) {
    shadow.push(v.getUint32(base + reg, true));
    trapped.push(t.read(reg, 4));
  }
  for (let sel = 0; sel < 2; sel++) {
    shadow.push(v.getUint32(table + MmioShadow.deviceFeatures + 4 * sel, true));
    t.write(MmioReg.DeviceFeaturesSel, 4, sel);
    trapped.push(t.read(MmioReg.DeviceFeatures, 4));
  }
  const queues = v.getUint32(table + MmioShadow.queueCount, true);
  expect(queues).toBe(t.device.numQueues);
  for (let q = 0; q < queues; q++) {
    shadow.push(v.getUint32(table + MmioShadow.queueNumMax + 4 * q, true));
    t.write(MmioReg.QueueSel, 4, q);
    trapped.push(t.read(MmioReg.QueueNumMax, 4));
  }
  const configBytes = v.getUint32(table + MmioShadow.configBytes, true);
  expect(configBytes).toBe(t.device.configBytes);
  for (let i = 0; i < configBytes; i++) {
    shadow.push(machine.memory.bytes[base + MmioReg.Config + i]!);
    trapped.push(t.read(MmioReg.Config + i, 1));
  }
  t.write(MmioReg.DeviceFeaturesSel, 4, 0);
  t.write(MmioReg.QueueSel, 4, 0);
  return { shadow, trapped };
}

describe('virtio-mmio register shadow', () => {
  it('holds, for every device model, what a trapped read of each read-only register returns', () => {
    const machine = new LoopbackMachine(1 << 20, devices());
    for (const t of machine.transports) {
      expect(machine.memory.view.getUint32(t.baseAddress + MmioShadow.offset, true)).toBe(SHADOW_MAGIC);
      const { shadow, trapped } = shadowAgainstTraps(machine, t);
      expect(shadow).toEqual(trapped);
    }
  });

  it('gives the driver the same probe, features, queue sizes and config as trapped reads, with no read traps', () => {
    const probeWith = (shadowed: boolean) => {
      const machine = new LoopbackMachine(4 << 20, devices());
      if (!shadowed)
        for (const d of machine.devices) machine.memory.view.setUint32(d.baseAddress + MmioShadow.offset, 0, true);
      const bus = new CountingBus(machine);
      const dma = new PageAllocator(0x100000, 3 << 20);
      const out = machine.devices.map((info, i) => {
        // Within each device's config space (rng has none: a read there traps, as it should).
        const configBytes = machine.transports[i]!.device.configBytes ?? 0;
        const t = new VirtioMmioTransport(machine.memory, bus, info);
        expect(t.shadowed).toBe(shadowed);
        const id = t.probe();
        const features = t.negotiate(0xffffffffn | (0xffffffffn << 32n));
        const config = Array.from({ length: configBytes }, (_, o) => t.readConfig(o, 1));
        const wide = configBytes >= 8 ? [t.readConfig(0, 2), t.readConfig(0, 4), t.readConfig(4, 4)] : [];
        const q = t.setupQueue(0, 1 << 15, dma);
        return { id, features, config, wide, queueSize: q.size };
      });
      return { out, bus };
    };
    const traps = probeWith(false);
    const shadow = probeWith(true);
    expect(shadow.out).toEqual(traps.out);
    for (const reg of [
      MmioReg.MagicValue,
      MmioReg.Version,
      MmioReg.DeviceID,
      MmioReg.VendorID,
      MmioReg.DeviceFeatures,
      MmioReg.QueueNumMax,
    ]) {
      expect(traps.bus.reads(reg)).toBeGreaterThan(0);
      expect(shadow.bus.reads(reg)).toBe(0);
    }
    const configReads = (b: CountingBus) => b.traps.filter((t) => t.op === 'read' && t.offset >= MmioReg.Config).length;
    expect(configReads(traps.bus)).toBeGreaterThan(0);
    expect(configReads(shadow.bus)).toBe(0);
    // Status and every write still reach the device model.
    for (const b of [traps.bus, shadow.bus]) expect(b.reads(MmioReg.Status)).toBeGreaterThan(0);
    const writes = (b: CountingBus) =>
      b.traps.filter((t) => t.op === 'write' && t.offset !== MmioReg.DeviceFeaturesSel);
    expect(writes(shadow.bus)).toEqual(writes(traps.bus));
  });

  it('a config write traps to the device, and the shadow follows it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 255 }), (offset, value) => {
        const config = new Uint8Array(16);
        const model: DeviceModel = {
          deviceId: 9,
          name: 'writable',
          deviceFeatures: 1n << 32n,
          numQueues: 1,
          maxQueueSize: 8,
          configBytes: 16,
          readConfig: (o, size) => (size === 1 ? config[o]! : new DataView(config.buffer).getUint32(o, true)),
          writeConfig: (o, _size, v) => void (config[o] = v & 0xff),
          activate() {},
          notify() {},
          reset() {},
        };
        const machine = new LoopbackMachine(1 << 20, [model]);
        const bus = new CountingBus(machine);
        const t = new VirtioMmioTransport(machine.memory, bus, machine.devices[0]!);
        t.writeConfig(offset, 1, value);
        expect(bus.traps).toEqual([{ op: 'write', offset: MmioReg.Config + offset, value }]);
        expect(config[offset]).toBe(value);
        expect(t.readConfig(offset, 1)).toBe(value);
        expect(bus.traps).toHaveLength(1);
      }),
    );
  });

  it('a reset leaves the shadow equal to the model; after DRIVER_OK config reads trap and see changes', () => {
    const pair = new NetPair();
    const device = new VirtioNetDevice('net0', pair.a, { mac: new Uint8Array([2, 0, 0, 0, 0, 1]) });
    const machine = new LoopbackMachine(4 << 20, [device]);
    const t = machine.transports[0]!;
    const before = shadowAgainstTraps(machine, t);
    const bus = new CountingBus(machine);
    const dma = new PageAllocator(0x100000, 3 << 20);
    const transport = new VirtioMmioTransport(machine.memory, bus, machine.devices[0]!);
    const driver = new VirtioNetDriver('eth0', transport, machine.memory, dma);
    driver.init();
    // A link change after DRIVER_OK: the driver's config read must trap and see it.
    device.setLinkUp(false);
    const trapsBefore = bus.traps.length;
    expect(transport.readConfig(6, 2) & 1).toBe(0);
    expect(bus.traps.length).toBe(trapsBefore + 1);
    expect(machine.memory.view.getUint16(t.baseAddress + MmioReg.Config + 6, true) & 1).toBe(0);
    device.setLinkUp(true);
    transport.reset(dma);
    expect(t.deviceStatus).toBe(0);
    const after = shadowAgainstTraps(machine, t);
    expect(after.shadow).toEqual(after.trapped);
    expect(after.shadow).toEqual(before.shadow);
    // Probing again after the reset reads the shadow once more.
    const again = bus.traps.length;
    expect(transport.readConfig(6, 2) & 1).toBe(1);
    expect(bus.traps.length).toBe(again);
  });
});
