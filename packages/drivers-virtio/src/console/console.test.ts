// virtio-console end to end on one thread: driver → rings → device model → host sink.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HostClock, PageAllocator, Scheduler } from '@osv-ts/core-sched';
import { VirtioMmioTransport } from '../guest/mmio-transport.js';
import { LoopbackMachine } from '../testing/loopback-machine.js';
import { Errno, KernelError } from '@osv-ts/kernel-api';
import { VirtioConsoleDevice, type ConsoleSink } from './console-device.js';
import { VirtioConsoleDriver } from './console-driver.js';

/** A host sink that takes `capacity` bytes and then fails for good with `errno`, as /dev/full does. */
class FailingSink {
  readonly out: Uint8Array[] = [];
  errno: number | undefined;
  constructor(
    private capacity: number,
    private readonly failWith: number,
  ) {}
  write(b: Uint8Array): void {
    if (this.errno !== undefined) return;
    if (b.length > this.capacity) {
      this.errno = this.failWith;
      return;
    }
    this.capacity -= b.length;
    this.out.push(b.slice());
  }
}

function consoleMachine(autoService = true, sink?: ConsoleSink) {
  const out: Uint8Array[] = [];
  const device = new VirtioConsoleDevice('console0', sink ?? { write: (b) => void out.push(b.slice()) });
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

  it('fails later writes and flush with the errno of a host write that failed', () => {
    const sink = new FailingSink(10, Errno.ENOSPC);
    const c = consoleMachine(true, sink);
    c.driver.write(new TextEncoder().encode('0123456789'));
    c.driver.flush();
    c.driver.write(new TextEncoder().encode('does not fit')); // queued: the host fails it
    const failure = (): unknown => {
      try {
        c.driver.flush();
      } catch (e) {
        return e;
      }
      return undefined;
    };
    const e = failure();
    expect(e).toBeInstanceOf(KernelError);
    expect((e as KernelError).errno).toBe(Errno.ENOSPC);
    expect(() => c.driver.write(new Uint8Array(1))).toThrow(KernelError);
    expect(c.device.outputErrno).toBe(Errno.ENOSPC);
    expect(new TextDecoder().decode(sink.out[0])).toBe('0123456789');
  });

  it('a large write learns of the failure while it waits for buffers', () => {
    const sink = new FailingSink(8192, Errno.EPIPE);
    const c = consoleMachine(false, sink);
    let thrown: unknown;
    try {
      c.driver.write(new Uint8Array(1 << 20)); // more than all transmit buffers hold
    } catch (e) {
      thrown = e;
    }
    expect((thrown as KernelError).errno).toBe(Errno.EPIPE);
    expect(c.device.counters.txDroppedBytes).toBeGreaterThan(0);
  });
});
