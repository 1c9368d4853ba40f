// How the guest kicks a queue (VirtioMmioTransport.notify): through the VMM's doorbell when no
// device thread serves the device, by setting the queue's bit in the QueueNotify word alone
// while the device thread polls, and with Atomics.notify on that word only while the thread
// sleeps in Atomics.wait (MmioReg.OsvNotifyWaiter / OsvNotifySleeping).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GuestMemory } from '../guest-memory.js';
import { MmioReg } from '../mmio/registers.js';
import type { MmioBus } from '../mmio/mmio-bus.js';
import { VirtioMmioTransport } from './mmio-transport.js';

const BASE = 0x10000;

class CountingBus implements MmioBus {
  doorbells = 0;
  read(): number {
    return 0;
  }
  write(): void {}
  post(): void {}
  flush(): void {}
  ringDoorbell(): void {
    this.doorbells++;
  }
}

function setup(waiter: number, sleeping: number) {
  const mem = new GuestMemory(new SharedArrayBuffer(0x20000));
  const bus = new CountingBus();
  const transport = new VirtioMmioTransport(mem, bus, { baseAddress: BASE, sizeBytes: 0x1000, irq: 5 });
  Atomics.store(mem.words, (BASE + MmioReg.OsvNotifyWaiter) >>> 2, waiter);
  Atomics.store(mem.words, (BASE + MmioReg.OsvNotifySleeping) >>> 2, sleeping);
  const notify = vi.spyOn(Atomics, 'notify');
  transport.notify(3);
  const word = Atomics.load(mem.words, (BASE + MmioReg.QueueNotify) >>> 2);
  return { bus, notify, word };
}

describe('VirtioMmioTransport.notify', () => {
  afterEach(() => vi.restoreAllMocks());

  it('rings the VMM doorbell when no device thread serves the device', () => {
    const { bus, notify, word } = setup(0, 0);
    expect(bus.doorbells).toBe(1);
    expect(notify).not.toHaveBeenCalled();
    expect(word).toBe(1 << 3);
  });

  it('only sets the queue bit while the device thread polls', () => {
    const { bus, notify, word } = setup(1, 0);
    expect(bus.doorbells).toBe(0);
    expect(notify).not.toHaveBeenCalled();
    expect(word).toBe(1 << 3);
  });

  it('wakes the device thread on the QueueNotify word while it sleeps', () => {
    const { bus, notify, word } = setup(1, 1);
    expect(bus.doorbells).toBe(0);
    expect(notify).toHaveBeenCalledTimes(1);
    expect(notify.mock.calls[0]![1]).toBe((BASE + MmioReg.QueueNotify) >>> 2);
    expect(word).toBe(1 << 3);
  });
});
