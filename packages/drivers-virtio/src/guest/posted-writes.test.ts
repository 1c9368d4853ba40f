// Posted writes (MmioBus.post) through a bus that really defers them, as the VMM's trap bus
// does: the driver's initialization reaches the same device state as with every write trapped,
// and nothing the driver signals outside the bus (the QueueNotify word) passes them.
import { describe, expect, it } from 'vitest';
import { PageAllocator } from '@osv-ts/core-sched';
import { DeviceStatus, Feature, MmioReg, bit } from '../mmio/registers.js';
import type { MmioBus } from '../mmio/mmio-bus.js';
import { LoopbackMachine } from '../testing/loopback-machine.js';
import type { DeviceModel } from '../device/device-model.js';
import { VirtioMmioTransport } from './mmio-transport.js';

/** Defers posted writes until the next read, write, doorbell or flush; counts the exits. */
class DeferringBus implements MmioBus {
  private readonly pending: [number, 1 | 2 | 4, number][] = [];
  exits = 0;
  /** The QueueNotify word of each flush, read as the posted writes land. */
  readonly notifyWordAtFlush: number[] = [];
  constructor(
    private readonly machine: LoopbackMachine,
    private readonly notifyWord: number,
  ) {}
  read(address: number, size: 1 | 2 | 4): number {
    this.exit();
    return this.machine.read(address, size);
  }
  write(address: number, size: 1 | 2 | 4, value: number): void {
    this.exit();
    this.machine.write(address, size, value);
  }
  post(address: number, size: 1 | 2 | 4, value: number): void {
    this.pending.push([address, size, value]);
  }
  flush(): void {
    if (this.pending.length > 0) this.exit();
  }
  ringDoorbell(): void {
    this.flush();
    this.machine.ringDoorbell();
  }
  private exit(): void {
    this.exits++;
    if (this.pending.length > 0) this.notifyWordAtFlush.push(Atomics.load(this.machine.memory.words, this.notifyWord));
    for (const [a, s, v] of this.pending.splice(0)) this.machine.write(a, s, v);
  }
}

function device(): DeviceModel & { activated: number[]; notified: number[] } {
  return {
    deviceId: 3,
    name: 'dev',
    deviceFeatures: bit(Feature.VERSION_1) | bit(Feature.EVENT_IDX),
    numQueues: 2,
    maxQueueSize: 64,
    configBytes: 0,
    activated: [],
    notified: [],
    readConfig: () => 0,
    activate(_host, _features, queues) {
      this.activated.push(queues.filter((q) => q).length);
    },
    notify(i) {
      this.notified.push(i);
    },
    reset() {},
  };
}

describe('posted MMIO writes', () => {
  it('initialize a device to DRIVER_OK in two exits, with the same queues as trapped writes', () => {
    const m = device();
    const machine = new LoopbackMachine(4 << 20, [m]);
    const info = machine.devices[0]!;
    const bus = new DeferringBus(machine, machine.memory.wordIndex(info.baseAddress + MmioReg.QueueNotify));
    const t = new VirtioMmioTransport(machine.memory, bus, info);
    const dma = new PageAllocator(0x100000, 3 << 20);
    expect(t.probe()?.deviceId).toBe(3);
    t.negotiate(bit(Feature.EVENT_IDX));
    const q0 = t.setupQueue(0, 16, dma);
    const q1 = t.setupQueue(1, 256, dma);
    t.driverOk();
    expect(bus.exits).toBe(2);
    expect(m.activated).toEqual([1 + 1]);
    expect([q0.size, q1.size]).toEqual([16, 64]);
    expect(machine.transports[0]!.deviceStatus).toBe(
      DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER | DeviceStatus.FEATURES_OK | DeviceStatus.DRIVER_OK,
    );
  });

  it('land before a notification the driver posts in guest RAM', () => {
    const m = device();
    const machine = new LoopbackMachine(4 << 20, [m]);
    const info = machine.devices[0]!;
    const bus = new DeferringBus(machine, machine.memory.wordIndex(info.baseAddress + MmioReg.QueueNotify));
    const t = new VirtioMmioTransport(machine.memory, bus, info);
    const dma = new PageAllocator(0x100000, 3 << 20);
    t.negotiate(0n);
    t.setupQueue(0, 16, dma);
    t.driverOk();
    // A queue re-armed after DRIVER_OK (posted), then a kick straight away.
    bus.post(info.baseAddress + MmioReg.QueueSel, 4, 1);
    t.notify(0);
    expect(bus.notifyWordAtFlush.at(-1)).toBe(0); // the flush came before the word's bit
    expect(m.notified).toEqual([0]);
  });
});
