// virtio-console end to end on one thread: driver → rings → device model → host sink.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HostClock, PageAllocator, Scheduler } from '@osv-ts/core-sched';
import { VirtioMmioTransport } from '../guest/mmio-transport.js';
import { LoopbackMachine } from '../testing/loopback-machine.js';
import { VirtioConsoleDevice } from './console-device.js';
import { VirtioConsoleDriver } from './console-driver.js';

function consoleMachine(autoService = true) {
  const out: Uint8Array[] = [];
  const device = new VirtioConsoleDevice('console0', { write: (b) => out.push(b.slice()) });
  const machine = new LoopbackMachine(4 << 20, [device]);
  machine.autoService = autoService;
  const sched = new Scheduler(new HostClock(), machine);
  const dma = new PageAllocator(0x100000, 3 << 20);
  const driver = new VirtioConsoleDriver(
    new VirtioMmioTransport(machine.memory, machine, machine.devices[0]!),
    machine.memory,
    dma,
    sched,
  );
  driver.init();
  machine.onInterrupt(machine.devices[0]!.irq, () => driver.onInterrupt());
  const received = (): Uint8Array => {
    const total = out.reduce((n, b) => n + b.length, 0);
    const all = new Uint8Array(total);
    let at = 0;
    for (const b of out) {
      all.set(b, at);
      at += b.length;
    }
    return all;
  };
  return { device, driver, machine, received };
}

describe('virtio-console', () => {
  it('carries binary output byte-exact, for writes of any size, in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 0, maxLength: 20_000 }), { maxLength: 12 }),
        fc.boolean(),
        (writes, slowDevice) => {
          const c = consoleMachine(!slowDevice);
          for (const w of writes) c.driver.write(w);
          c.driver.flush();
          const expected = new Uint8Array(writes.reduce((n, w) => n + w.length, 0));
          let at = 0;
          for (const w of writes) {
            expected.set(w, at);
            at += w.length;
          }
          expect(c.received()).toEqual(expected);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('splits a write larger than one descriptor and waits for buffers when all are in flight', () => {
    const c = consoleMachine(false);
    const big = new Uint8Array(200_000).map((_, i) => (i * 31) & 0xff);
    c.driver.write(big);
    c.driver.flush();
    expect(c.received()).toEqual(big);
    expect(c.driver.counters.waits).toBeGreaterThan(0);
  });

  it('delivers host input and then end of file', () => {
    const c = consoleMachine();
    const buf = new Uint8Array(64);
    expect(c.driver.read(buf)).toBe(-1);
    c.device.pushInput(new TextEncoder().encode('hello'));
    c.machine.pollInterrupts();
    expect(c.driver.read(buf)).toBe(5);
    expect(new TextDecoder().decode(buf.subarray(0, 5))).toBe('hello');
    c.device.endInput();
    c.machine.pollInterrupts();
    expect(c.driver.read(buf)).toBe(0);
  });
});
