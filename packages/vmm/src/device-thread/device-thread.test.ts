// A virtio-blk data plane on its own device thread (a real Worker), driven by the real guest
// driver on this thread against a byte-array model of the disk: handed over at DRIVER_OK, or
// migrated from the VMM's thread after it served the disk while the thread started; many
// requests in flight; reset and re-activation; a broken ring; host I/O errors as EIO.
import { mkdtempSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Errno, BootInfo, KernelError } from '@osv-ts/kernel-api';
import { HostClock, PageAllocator, Scheduler, type Cpu } from '@osv-ts/core-sched';
import {
  DeviceStatus,
  FaultInjectingBackend,
  FaultRanges,
  GuestMemory,
  MmioReg,
  MmioTransportModel,
  VirtioBlkDevice,
  VirtioBlkDriver,
  VirtioMmioTransport,
  type BlockBackend,
} from '@osv-ts/drivers-virtio';
import { DirectMmioBus } from './test/direct-mmio-bus.js';
import { DirectFileBackend } from '../blk/direct-file-backend.js';
import { DeviceThread } from './device-thread.js';
import { deviceThreadSpec } from './device-spec.js';

const DISK_BYTES = 4 << 20;
const BASE = 0x10000;
const IRQ = 5;
const dir = mkdtempSync(join(tmpdir(), 'osv-devthread-'));
const open: number[] = [];
const threads: DeviceThread[] = [];
afterAll(async () => {
  await Promise.all(threads.map((t) => t.stop()));
  for (const fd of open) closeSync(fd);
});

/** The guest on this thread: a trap bus straight into the transport, and a vCPU idling on guestWake. */
class TestGuest extends DirectMmioBus implements Cpu {
  private handler: (() => void) | undefined;
  constructor(
    readonly memory: GuestMemory,
    transport: MmioTransportModel,
  ) {
    super(transport, BASE);
  }
  onInterrupt(handler: () => void): void {
    this.handler = handler;
  }
  pollInterrupts(): boolean {
    if (Atomics.exchange(this.memory.words, BootInfo.irqPending >>> 2, 0) === 0) return false;
    this.handler?.();
    return true;
  }
  idle(): boolean {
    const w = this.memory.words;
    const seq = Atomics.load(w, BootInfo.guestWake >>> 2);
    if (Atomics.load(w, BootInfo.irqPending >>> 2) === 0) Atomics.wait(w, BootInfo.guestWake >>> 2, seq, 100);
    return true;
  }
}

function raiseIrq(memory: GuestMemory): void {
  Atomics.or(memory.words, BootInfo.irqPending >>> 2, 1 << IRQ);
  Atomics.add(memory.words, BootInfo.guestWake >>> 2, 1);
  Atomics.notify(memory.words, BootInfo.guestWake >>> 2);
}

/** A disk image with random contents, its model, and a device over it with a device thread. */
function machine(name: string, wrap: (b: BlockBackend) => BlockBackend = (b) => b, threadFirst = true) {
  const model = new Uint8Array(DISK_BYTES);
  for (let i = 0; i < model.length; i += 4096) model[i] = (i >>> 12) & 0xff;
  const path = join(dir, `${name}.img`);
  writeFileSync(path, model);
  const fd = openSync(path, 'r+');
  open.push(fd);
  const memory = new GuestMemory(new SharedArrayBuffer(16 << 20));
  const device = new VirtioBlkDevice('vblk0', wrap(new DirectFileBackend(path, fd, false)));
  const transport = new MmioTransportModel(memory, BASE, IRQ, device, { raise: () => raiseIrq(memory) });
  const spec = deviceThreadSpec(device);
  expect(spec).toBeDefined();
  const thread = new DeviceThread(memory, { baseAddress: BASE, sizeBytes: 0x1000, irq: IRQ }, spec!, 50, (e) => {
    throw e;
  });
  threads.push(thread);
  transport.remote = thread;
  if (threadFirst) {
    thread.prepare();
    const until = Date.now() + 20_000;
    while (!thread.ready && Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    expect(thread.ready).toBe(true);
  }
  const guest = new TestGuest(memory, transport);
  const sched = new Scheduler(new HostClock(), guest);
  const driver = new VirtioBlkDriver(
    'vblk0',
    new VirtioMmioTransport(memory, guest, { baseAddress: BASE, sizeBytes: 0x1000, irq: IRQ }),
    memory,
    new PageAllocator(1 << 20, 15 << 20),
    sched,
    { slots: 128, requestBytes: 4096, queueSize: 256, cacheBlocks: 0 },
  );
  guest.onInterrupt(() => driver.onInterrupt());
  driver.init();
  return { model, path, memory, device, transport, thread, driver, guest };
}

type Op =
  { kind: 'read'; sector: number; sectors: number } | { kind: 'write'; sector: number; sectors: number; fill: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('read' as const),
    sector: fc.nat(DISK_BYTES / 512 - 1),
    sectors: fc.integer({ min: 1, max: 1024 }),
  }),
  fc.record({
    kind: fc.constant('write' as const),
    sector: fc.nat(DISK_BYTES / 512 - 1),
    sectors: fc.integer({ min: 1, max: 1024 }),
    fill: fc.nat(255),
  }),
);

function apply(m: ReturnType<typeof machine>, ops: Op[]): void {
  for (const o of ops) {
    const offset = o.sector * 512;
    const length = Math.min(o.sectors * 512, DISK_BYTES - offset);
    if (o.kind === 'read') {
      const got = new Uint8Array(length);
      m.driver.read(offset, got);
      expect(Buffer.from(got).equals(Buffer.from(m.model.subarray(offset, offset + length)))).toBe(true);
    } else {
      const data = new Uint8Array(length).map((_, i) => (o.fill + i) & 0xff);
      m.driver.write(offset, data);
      m.model.set(data, offset);
    }
  }
}

describe('virtio-blk on a device thread', () => {
  it('serves reads and writes with up to 128 requests in flight, as the model says', async () => {
    const m = machine('inflight');
    expect(m.transport.remotelyServed).toBe(true);
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 12 }), (ops) => apply(m, ops)),
      { numRuns: 25 },
    );
    // A 512 KiB read is 128 requests of 4 KiB, all on the ring at once.
    const big = new Uint8Array(512 * 1024);
    m.driver.read(0, big);
    expect(Buffer.from(big).equals(Buffer.from(m.model.subarray(0, big.length)))).toBe(true);
    m.driver.flush();
    expect(Buffer.from(readFileSync(m.path)).equals(Buffer.from(m.model))).toBe(true);
    await m.thread.stop();
    const c = m.thread.counters;
    expect(c['requests']).toBeGreaterThan(128);
    expect(c['flushes']).toBe(1);
    // Nothing went through the VMM's thread.
    expect(m.device.counters.requests).toBe(0);
    // Batches: far fewer interrupts and kicks than requests.
    expect(c['interrupts']!).toBeLessThan(c['requests']! / 4);
    expect(c['notifications']!).toBeLessThan(c['requests']! / 4);
  }, 60_000);

  it('says when it sleeps, and a kick then wakes it (the guest notifies only a sleeping thread)', async () => {
    const m = machine('sleeping');
    const sleepingWord = (BASE + MmioReg.OsvNotifySleeping) >>> 2;
    for (let round = 0; round < 5; round++) {
      // After its poll window the idle thread sleeps, and says so.
      const until = Date.now() + 10_000;
      while (Atomics.load(m.memory.words, sleepingWord) === 0 && Date.now() < until)
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
      expect(Atomics.load(m.memory.words, sleepingWord)).toBe(1);
      // The guest's kick wakes it: the read completes.
      apply(m, [{ kind: 'read', sector: round * 64, sectors: 64 }]);
    }
    await m.thread.stop();
    expect(m.thread.counters['sleeps']).toBeGreaterThanOrEqual(5);
  }, 60_000);

  it('moves from the VMM thread to the device thread once it is up and idle, mid-stream', async () => {
    const m = machine('migrate', undefined, false);
    expect(m.transport.awaitingMigration).toBe(true);
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 8 }), (ops) => apply(m, ops)),
      { numRuns: 40 },
    );
    const until = Date.now() + 20_000;
    while (!m.transport.remotelyServed && Date.now() < until) apply(m, [{ kind: 'read', sector: 0, sectors: 8 }]);
    expect(m.transport.remotelyServed).toBe(true);
    apply(m, [
      { kind: 'write', sector: 100, sectors: 300, fill: 9 },
      { kind: 'read', sector: 0, sectors: 1024 },
    ]);
    await m.thread.stop();
    expect(m.device.counters.requests).toBeGreaterThan(0);
    expect(m.thread.counters['requests']).toBeGreaterThan(0);
    expect(Buffer.from(readFileSync(m.path)).equals(Buffer.from(m.model))).toBe(true);
  }, 60_000);

  it('reports the same counter names whether or not the thread ran (osv run -V stays stable)', async () => {
    const m = machine('ran');
    apply(m, [{ kind: 'read', sector: 0, sectors: 8 }]);
    await m.thread.stop();
    const slot = { baseAddress: BASE, sizeBytes: 0x1000, irq: IRQ };
    const unstarted = new DeviceThread(m.memory, slot, deviceThreadSpec(m.device)!, 0, (e) => {
      throw e;
    });
    await unstarted.stop();
    expect(unstarted.counters).toEqual({ sleeps: 0, polledWakes: 0, busyTurns: 0 });
    expect(Object.keys(m.thread.counters)).toEqual(expect.arrayContaining(Object.keys(unstarted.counters)));
  }, 60_000);

  it('gives the queues back at reset and takes them again at the next DRIVER_OK', async () => {
    const m = machine('reset');
    apply(m, [{ kind: 'write', sector: 0, sectors: 16, fill: 1 }]);
    m.transport.write(0x070, 4, 0); // status 0: device reset (§2.4)
    expect(m.transport.remotelyServed).toBe(false);
    const sched = new Scheduler(new HostClock(), m.guest);
    const again = new VirtioBlkDriver(
      'vblk0',
      new VirtioMmioTransport(m.memory, m.guest, { baseAddress: BASE, sizeBytes: 0x1000, irq: IRQ }),
      m.memory,
      new PageAllocator(1 << 20, 15 << 20),
      sched,
    );
    m.guest.onInterrupt(() => again.onInterrupt());
    again.init();
    expect(m.transport.remotelyServed).toBe(true);
    const got = new Uint8Array(16 * 512);
    again.read(0, got);
    expect(Buffer.from(got).equals(Buffer.from(m.model.subarray(0, got.length)))).toBe(true);
    await m.thread.stop();
  }, 60_000);

  it('turns a ring the guest broke into DEVICE_NEEDS_RESET with the reason', async () => {
    const m = machine('broken');
    apply(m, [{ kind: 'read', sector: 0, sectors: 1 }]);
    // A descriptor pointing outside guest RAM, made available by hand.
    const layout = (
      m.transport as unknown as { queues: { layout: { descAddress: number; availAddress: number; size: number } }[] }
    ).queues[0]!.layout;
    const v = m.memory.view;
    v.setBigUint64(layout.descAddress, 1n << 40n, true);
    v.setUint32(layout.descAddress + 8, 512, true);
    v.setUint16(layout.descAddress + 12, 0, true);
    const idx = v.getUint16(layout.availAddress + 2, true);
    v.setUint16(layout.availAddress + 4 + 2 * (idx % layout.size), 0, true);
    Atomics.store(m.memory.halfwords, (layout.availAddress + 2) >>> 1, (idx + 1) & 0xffff);
    Atomics.or(m.memory.words, (BASE + 0x50) >>> 2, 1);
    Atomics.notify(m.memory.words, (BASE + 0x50) >>> 2);
    const until = Date.now() + 10_000;
    while (!(m.transport.read(0x070, 4) & DeviceStatus.DEVICE_NEEDS_RESET) && Date.now() < until)
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    expect(m.transport.read(0x070, 4) & DeviceStatus.DEVICE_NEEDS_RESET).toBeTruthy();
    expect(m.transport.lastFailure).toMatch(/outside guest RAM/);
    await m.thread.stop();
  }, 60_000);

  it('fails requests the host cannot do with EIO, and goes on serving the rest', async () => {
    const m = machine(
      'faulty',
      (b) => new FaultInjectingBackend(b, new FaultRanges([{ op: 'read', startBytes: 65536, endBytes: 69632 }])),
    );
    const failed = (offset: number, length: number): unknown => {
      try {
        m.driver.read(offset, new Uint8Array(length));
      } catch (e) {
        return e;
      }
      return undefined;
    };
    for (const [offset, length] of [
      [65536, 4096],
      [65536 - 512, 1024],
      [69632 - 512, 512],
    ] as const) {
      const e = failed(offset, length);
      expect(e).toBeInstanceOf(KernelError);
      expect((e as KernelError).errno).toBe(Errno.EIO);
    }
    expect(failed(69632, 512)).toBeUndefined();
    apply(m, [
      { kind: 'read', sector: 0, sectors: 64 },
      { kind: 'read', sector: 200, sectors: 64 },
    ]);
    await m.thread.stop();
    expect(m.thread.counters['errors']).toBeGreaterThan(0);
  }, 60_000);
});
