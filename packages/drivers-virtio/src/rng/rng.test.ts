// virtio-rng end to end on one thread: the driver's fill returns exactly the device's bytes.
import { describe, expect, it } from 'vitest';
import { HostClock, PageAllocator, Scheduler } from '@osv-ts/core-sched';
import { VirtioMmioTransport } from '../guest/mmio-transport.js';
import { LoopbackMachine } from '../testing/loopback-machine.js';
import { VirtioRngDevice } from './rng-device.js';
import { VirtioRngDriver } from './rng-driver.js';

describe('virtio-rng', () => {
  it('fills buffers of any size with the host source, in order, across several requests', () => {
    let counter = 0;
    const device = new VirtioRngDevice('rng0', { fill: (b) => b.forEach((_, i) => (b[i] = counter++ & 0xff)) });
    const machine = new LoopbackMachine(4 << 20, [device]);
    const sched = new Scheduler(new HostClock(), machine);
    const driver = new VirtioRngDriver(
      'virtio-rng0',
      new VirtioMmioTransport(machine.memory, machine, machine.devices[0]!),
      machine.memory,
      new PageAllocator(0x100000, 3 << 20),
      sched,
    );
    machine.onInterrupt(machine.devices[0]!.irq, () => driver.onInterrupt());
    driver.init();
    for (const n of [1, 7, 4096, 10_000]) {
      const start = counter;
      const buf = new Uint8Array(n);
      driver.fill(buf);
      expect(buf.every((b, i) => b === ((start + i) & 0xff))).toBe(true);
    }
    expect(device.counters.requests).toBe(1 + 1 + 1 + 3);
    expect(driver.counters.bytes).toBe(1 + 7 + 4096 + 10_000);
  });

  it('passes through a real CSPRNG: 64 KiB of output has every byte value and no long runs', () => {
    const device = new VirtioRngDevice('rng0', { fill: (b) => crypto.getRandomValues(b) });
    const machine = new LoopbackMachine(4 << 20, [device]);
    const sched = new Scheduler(new HostClock(), machine);
    const driver = new VirtioRngDriver(
      'virtio-rng0',
      new VirtioMmioTransport(machine.memory, machine, machine.devices[0]!),
      machine.memory,
      new PageAllocator(0x100000, 3 << 20),
      sched,
    );
    machine.onInterrupt(machine.devices[0]!.irq, () => driver.onInterrupt());
    driver.init();
    const buf = new Uint8Array(65536);
    driver.fill(buf);
    const seen = new Set(buf);
    expect(seen.size).toBe(256);
    let run = 1;
    let longest = 1;
    for (let i = 1; i < buf.length; i++) longest = Math.max(longest, (run = buf[i] === buf[i - 1] ? run + 1 : 1));
    expect(longest).toBeLessThan(6);
  });
});
