// virtio-blk end to end on one thread: BlockDevice driver → rings → device model → back-end.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Errno, KernelError } from '@osv-ts/kernel-api';
import { HostClock, PageAllocator, Scheduler } from '@osv-ts/core-sched';
import { VirtioMmioTransport } from '../guest/mmio-transport.js';
import { LoopbackMachine } from '../testing/loopback-machine.js';
import { FaultInjectingBackend, MemoryBlockBackend, type BlockBackend } from './block-backend.js';
import { VirtioBlkDevice, type VirtioBlkOptions } from './blk-device.js';
import { VirtioBlkDriver, type VirtioBlkDriverOptions } from './blk-driver.js';
import { scanPartitions } from './partition-scan.js';
import virtioBlkModule from './blk-module.js';
import { VIRTIO_MMIO_CAPABILITY, type VirtioPlatform } from '../virtio-platform.js';

function blkMachine(
  backend: BlockBackend,
  opts: { device?: VirtioBlkOptions; driver?: VirtioBlkDriverOptions; autoService?: boolean } = {},
) {
  const device = new VirtioBlkDevice('disk0', backend, opts.device);
  const machine = new LoopbackMachine(8 << 20, [device]);
  machine.autoService = opts.autoService ?? true;
  const sched = new Scheduler(new HostClock(), machine);
  const dma = new PageAllocator(0x100000, 7 << 20);
  const driver = new VirtioBlkDriver(
    'vblk0',
    new VirtioMmioTransport(machine.memory, machine, machine.devices[0]!),
    machine.memory,
    dma,
    sched,
    opts.driver,
  );
  machine.onInterrupt(machine.devices[0]!.irq, () => driver.onInterrupt());
  driver.init();
  return { device, driver, machine, sched };
}

/** Index of the first differing byte, or -1 (toEqual on megabyte arrays is far too slow). */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** A back-end whose every request waits in `held` until the test runs it (in the order it picks). */
function heldBackend(inner: BlockBackend, held: (() => void)[]): BlockBackend {
  return {
    sizeBytes: inner.sizeBytes,
    readOnly: false,
    read: (o, into, done) => void held.push(() => inner.read(o, into, done)),
    write: (o, data, done) => void held.push(() => inner.write(o, data, done)),
    flush: (done) => void held.push(() => inner.flush(done)),
    discard: (o, n, done) => void held.push(() => inner.discard(o, n, done)),
    writeZeroes: (o, n, done) => void held.push(() => inner.writeZeroes(o, n, done)),
  };
}

describe('virtio-blk', () => {
  it('reports capacity and features, and answers GET_ID with the serial', () => {
    const { driver } = blkMachine(new MemoryBlockBackend(1 << 20), { device: { serial: 'osv-ts-disk-0001' } });
    expect(driver.sizeBytes).toBe(1 << 20);
    expect(driver.readOnly).toBe(false);
    expect(driver.getId()).toBe('osv-ts-disk-0001');
  });

  it('matches a byte-array model under random reads, writes, discards and write-zeroes', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('write' as const),
        sector: fc.nat(2047),
        sectors: fc.integer({ min: 1, max: 300 }),
        seed: fc.integer(),
      }),
      fc.record({
        kind: fc.constant('read' as const),
        sector: fc.nat(2047),
        sectors: fc.integer({ min: 1, max: 300 }),
      }),
      fc.record({ kind: fc.constant('zero' as const), sector: fc.nat(2047), sectors: fc.integer({ min: 1, max: 64 }) }),
      fc.record({ kind: fc.constant('small' as const), offset: fc.nat(4095) }),
    );
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 30 }),
        fc.boolean(),
        fc.constantFrom(1, 2, 8),
        // A small window makes a large transfer go window by window.
        fc.constantFrom(undefined, 32 * 1024),
        (ops, slow, slots, windowBytes) => {
          const size = 1 << 20;
          const backend = new MemoryBlockBackend(size);
          const { driver } = blkMachine(backend, {
            autoService: !slow,
            driver: { slots, requestBytes: 16 * 1024, slotBytes: 8 * 1024, ...(windowBytes ? { windowBytes } : {}) },
          });
          const model = new Uint8Array(size);
          for (const o of ops) {
            if (o.kind === 'small') {
              const offset = (o.offset % 2048) * 512;
              const got = new Uint8Array(512);
              driver.read(offset, got);
              expect(got).toEqual(model.subarray(offset, offset + 512));
              continue;
            }
            const sectors = Math.min(o.sectors, 2048 - o.sector);
            const offset = o.sector * 512;
            const len = sectors * 512;
            if (o.kind === 'write') {
              const data = pattern(len, o.seed);
              driver.write(offset, data);
              model.set(data, offset);
            } else if (o.kind === 'zero') {
              driver.writeZeroes(offset, len);
              model.fill(0, offset, offset + len);
            } else {
              const got = new Uint8Array(len);
              driver.read(offset, got);
              expect(firstDifference(got, model.subarray(offset, offset + len))).toBe(-1);
            }
          }
          driver.flush();
          expect(firstDifference(backend.bytes, model)).toBe(-1);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('keeps several requests in flight for one large transfer, completed out of order (indirect descriptors: 8 requests on a ring of 8)', () => {
    // A back-end that answers only when the guest idles, last request first.
    const inner = new MemoryBlockBackend(4 << 20);
    const held: (() => void)[] = [];
    const deferred = heldBackend(inner, held);
    const device = new VirtioBlkDevice('disk0', deferred);
    const machine = new LoopbackMachine(8 << 20, [device]);
    const cpu = {
      pollInterrupts: () => machine.pollInterrupts(),
      idle: () => (
        held
          .splice(0)
          .reverse()
          .forEach((f) => f()),
        machine.idle()
      ),
    };
    const sched = new Scheduler(new HostClock(), cpu);
    const driver = new VirtioBlkDriver(
      'vblk0',
      new VirtioMmioTransport(machine.memory, machine, machine.devices[0]!),
      machine.memory,
      new PageAllocator(0x100000, 7 << 20),
      sched,
      { slots: 8, requestBytes: 64 * 1024, queueSize: 8 },
    );
    machine.onInterrupt(machine.devices[0]!.irq, () => driver.onInterrupt());
    driver.init();
    const data = pattern(1 << 20, 7);
    driver.write(0, data);
    const back = new Uint8Array(1 << 20);
    driver.read(0, back);
    expect(firstDifference(back, data)).toBe(-1);
    expect(firstDifference(inner.bytes.subarray(0, 1 << 20), data)).toBe(-1);
    expect(device.counters.maxInFlight).toBe(8);
    expect(driver.counters.readRequests).toBe(16);
  });

  it('reads ahead of a sequential stream with several requests in flight, completed in any order; writes and faults stay exact', () => {
    // Read streams (runs of back-to-back large reads), random reads and writes against a byte
    // model, on a back-end that answers only when the guest idles, in an order fast-check picks;
    // reads of one bad sector fail. A read must fail (EIO) exactly when it covers that sector.
    const MiB = 1 << 20;
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('stream' as const),
        sector: fc.nat(4095),
        sectors: fc.integer({ min: 17, max: 200 }),
        reads: fc.integer({ min: 2, max: 12 }),
      }),
      fc.record({
        kind: fc.constant('read' as const),
        sector: fc.nat(4095),
        sectors: fc.integer({ min: 1, max: 200 }),
      }),
      fc.record({
        kind: fc.constant('write' as const),
        sector: fc.nat(4095),
        sectors: fc.integer({ min: 1, max: 64 }),
        seed: fc.integer(),
      }),
      // At the end of the last read (what a stream reads next), or over what it read ahead.
      fc.record({ kind: fc.constant('next' as const), sectors: fc.integer({ min: 1, max: 200 }) }),
      fc.record({
        kind: fc.constant('writeAhead' as const),
        skip: fc.nat(200),
        sectors: fc.integer({ min: 1, max: 16 }),
        seed: fc.integer(),
      }),
    );
    fc.assert(
      fc.property(
        fc.array(op, { minLength: 1, maxLength: 16 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
        fc.option(fc.nat(4095), { nil: undefined }),
        (ops, order, badSector) => {
          const inner = new MemoryBlockBackend(2 * MiB);
          const init = pattern(2 * MiB, 3);
          inner.bytes.set(init);
          const bad = badSector === undefined ? -1 : badSector * 512;
          const faulty = new FaultInjectingBackend(inner, {
            fails: (o, offset, length) => o === 'read' && offset <= bad && bad < offset + length,
          });
          const held: (() => void)[] = [];
          let turn = 0;
          const deferred = heldBackend(faulty, held);
          const device = new VirtioBlkDevice('disk0', deferred);
          const machine = new LoopbackMachine(8 << 20, [device]);
          const cpu = {
            pollInterrupts: () => machine.pollInterrupts(),
            idle: () => {
              // Every held request completes, in a permutation chosen by `order`.
              while (held.length > 0) held.splice(order[turn++ % order.length]! % held.length, 1)[0]!();
              return machine.idle();
            },
          };
          const sched = new Scheduler(new HostClock(), cpu);
          const driver = new VirtioBlkDriver(
            'vblk0',
            new VirtioMmioTransport(machine.memory, machine, machine.devices[0]!),
            machine.memory,
            new PageAllocator(0x100000, 7 << 20),
            sched,
            { slots: 8, slotBytes: 8 * 1024, requestBytes: 16 * 1024, readAheadBytes: 64 * 1024, cacheBlocks: 0 },
          );
          machine.onInterrupt(machine.devices[0]!.irq, () => driver.onInterrupt());
          driver.init();
          const model = init.slice();
          let cursor = 0;
          const read = (offset: number, len: number): void => {
            len = Math.min(len, 2 * MiB - offset);
            if (len === 0) return;
            cursor = offset + len;
            const got = new Uint8Array(len);
            const covers = offset <= bad && bad < offset + len;
            let errno: number | undefined;
            try {
              driver.read(offset, got);
            } catch (e) {
              errno = (e as KernelError).errno;
            }
            expect(errno).toBe(covers ? Errno.EIO : undefined);
            if (!covers) expect(firstDifference(got, model.subarray(offset, offset + len))).toBe(-1);
          };
          let streamed = false;
          for (const o of ops) {
            if (o.kind === 'next') {
              read(cursor, o.sectors * 512);
              continue;
            }
            if (o.kind === 'writeAhead') {
              const at = Math.min(cursor + o.skip * 512, 2 * MiB - 512);
              const data = pattern(Math.min(o.sectors * 512, 2 * MiB - at), o.seed);
              driver.write(at, data);
              model.set(data, at);
              continue;
            }
            const offset = o.sector * 512;
            if (o.kind === 'stream') {
              let at = offset;
              for (let k = 0; k < o.reads && at < 2 * MiB; k++, at += o.sectors * 512) read(at, o.sectors * 512);
              if (o.reads >= 4 && offset + 6 * o.sectors * 512 < bad) streamed = true;
            } else if (o.kind === 'read') {
              read(offset, o.sectors * 512);
            } else {
              const len = Math.min(o.sectors * 512, 2 * MiB - offset);
              const data = pattern(len, o.seed);
              driver.write(offset, data);
              model.set(data, offset);
            }
          }
          // A stream of large reads kept the 4 read-ahead chunks of 16 KiB in flight together.
          if (streamed) expect(device.counters.maxInFlight).toBeGreaterThanOrEqual(4);
          driver.flush();
          expect(firstDifference(inner.bytes, model)).toBe(-1);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('no read-ahead when disabled, or for reads that do not continue the previous one', () => {
    const disk = new MemoryBlockBackend(4 << 20);
    const off = blkMachine(disk, { driver: { readAheadBytes: 0 } }).driver;
    const buf = new Uint8Array(256 * 1024);
    for (let at = 0; at < 2 << 20; at += buf.length) off.read(at, buf);
    expect(off.counters.readAheadRequests).toBe(0);
    const on = blkMachine(disk).driver;
    on.read(0, buf);
    on.read(3 << 20, buf);
    expect(on.counters.readAheadRequests).toBe(0);
    on.read((3 << 20) + buf.length, buf);
    expect(on.counters.readAheadRequests).toBeGreaterThan(0);
    on.read((3 << 20) + 2 * buf.length, buf);
    expect(on.counters.readAheadBytesUsed).toBe(buf.length);
  });

  it('moves a large transfer through a DMA window of its own, and through the slots when no window fits', () => {
    const disk = new MemoryBlockBackend(8 << 20);
    // The DMA pool holds the rings and slots but not a 6 MiB window.
    const { driver } = blkMachine(disk, { driver: { windowBytes: 8 << 20 } });
    const big = pattern(6 << 20, 11);
    driver.write(0, big);
    const back = new Uint8Array(6 << 20);
    driver.read(0, back);
    expect(firstDifference(back, big)).toBe(-1);
    expect(firstDifference(disk.bytes.subarray(0, 6 << 20), big)).toBe(-1);
    // Through the 64 KiB slots: 96 requests each way.
    expect(driver.counters.readRequests).toBe(96);
    // 1 MiB fits a window: one request of SIZE_MAX-capped size, not sixteen slot-sized ones.
    const before = driver.counters.readRequests;
    driver.read(0, back.subarray(0, 1 << 20));
    expect(driver.counters.readRequests - before).toBe(1);
    expect(firstDifference(back.subarray(0, 1 << 20), big.subarray(0, 1 << 20))).toBe(-1);
  });

  it('serves repeated small reads from the buffer cache and keeps it coherent with writes', () => {
    const { driver, device } = blkMachine(new MemoryBlockBackend(1 << 20));
    const a = new Uint8Array(512);
    driver.read(4096, a);
    driver.read(4096 + 512, a);
    expect(driver.counters.cacheHits).toBe(1);
    const before = device.counters.reads;
    driver.write(4096 + 512, new Uint8Array(512).fill(9));
    driver.read(4096 + 512, a);
    expect(a.every((b) => b === 9)).toBe(true);
    expect(device.counters.reads).toBe(before);
  });

  it('turns an injected back-end fault into EIO for the caller, and the disk keeps working', () => {
    const inner = new MemoryBlockBackend(1 << 20);
    const faulty = new FaultInjectingBackend(inner, { fails: (op, offset) => op === 'read' && offset === 8192 });
    const { driver } = blkMachine(faulty, { driver: { cacheBlocks: 0 } });
    driver.write(8192, new Uint8Array(512).fill(1));
    expect(() => driver.read(8192, new Uint8Array(512))).toThrow(KernelError);
    try {
      driver.read(8192, new Uint8Array(512));
    } catch (e) {
      expect((e as KernelError).errno).toBe(Errno.EIO);
    }
    const ok = new Uint8Array(512);
    driver.read(16384, ok);
    faulty.plan = { fails: () => false };
    driver.read(8192, ok);
    expect(ok.every((b) => b === 1)).toBe(true);
    expect(faulty.injected).toBe(2);
  });

  it('refuses writes on a read-only disk (RO feature) with EROFS, and the device refuses them too', () => {
    const { driver, device } = blkMachine(new MemoryBlockBackend(1 << 20, true));
    expect(driver.readOnly).toBe(true);
    expect(() => driver.write(0, new Uint8Array(512))).toThrow(expect.objectContaining({ errno: Errno.EROFS }));
    expect(device.deviceFeatures & (1n << 5n)).not.toBe(0n);
  });

  it('rejects unaligned and out-of-range requests with EINVAL before they reach the device', () => {
    const { driver, device } = blkMachine(new MemoryBlockBackend(1 << 20));
    expect(() => driver.read(100, new Uint8Array(512))).toThrow(expect.objectContaining({ errno: Errno.EINVAL }));
    expect(() => driver.read(1 << 20, new Uint8Array(512))).toThrow(expect.objectContaining({ errno: Errno.EINVAL }));
    expect(device.counters.requests).toBe(0);
  });

  it('finds MBR partitions and names them the OSv way', () => {
    const disk = new Uint8Array(2 << 20);
    const v = new DataView(disk.buffer);
    // entry 0: sectors 2048..2048+512, entry 1: 3072..+1024
    disk[0x1be + 4] = 0xda;
    v.setUint32(0x1be + 8, 2048, true);
    v.setUint32(0x1be + 12, 512, true);
    disk[0x1ce + 4] = 0x83;
    v.setUint32(0x1ce + 8, 3072, true);
    v.setUint32(0x1ce + 12, 1024, true);
    disk[510] = 0x55;
    disk[511] = 0xaa;
    disk.set(pattern(512, 3), 3072 * 512);
    const { driver } = blkMachine(new MemoryBlockBackend(disk));
    const parts = scanPartitions(driver);
    expect(parts.map((p) => [p.name, p.startBytes, p.sizeBytes])).toEqual([
      ['vblk0.0', 2048 * 512, 512 * 512],
      ['vblk0.1', 3072 * 512, 1024 * 512],
    ]);
    const got = new Uint8Array(512);
    parts[1]!.read(0, got);
    expect(got).toEqual(pattern(512, 3));
    expect(() => parts[1]!.read(1024 * 512, got)).toThrow(expect.objectContaining({ errno: Errno.EINVAL }));
  });

  it('as a kernel module, provides every disk and partition as a blockdev', () => {
    const disk = new Uint8Array(2 << 20);
    const v = new DataView(disk.buffer);
    disk[0x1ce + 4] = 0x83;
    v.setUint32(0x1ce + 8, 2048, true);
    v.setUint32(0x1ce + 12, 2048, true);
    disk[510] = 0x55;
    disk[511] = 0xaa;
    const models = [
      new VirtioBlkDevice('d0', new MemoryBlockBackend(disk)),
      new VirtioBlkDevice('d1', new MemoryBlockBackend(1 << 20)),
    ];
    const machine = new LoopbackMachine(8 << 20, models);
    const sched = new Scheduler(new HostClock(), machine);
    const platform: VirtioPlatform = {
      memory: machine.memory,
      bus: machine,
      dma: new PageAllocator(0x100000, 7 << 20),
      sched,
      devices: machine.devices,
      onInterrupt: (irq, h) => machine.onInterrupt(irq, h),
      consoleIsTerminal: () => false,
    };
    const provided = new Map<string, unknown[]>();
    const ctx = {
      provide: (cap: string, s: unknown) => void (provided.get(cap) ?? provided.set(cap, []).get(cap)!).push(s),
      get: <T>(cap: string) => (cap === VIRTIO_MMIO_CAPABILITY ? platform : undefined) as T,
      tryGet: <T>() => undefined as T | undefined,
      getAll: <T>() => [] as T[],
    };
    virtioBlkModule.init(ctx);
    const names = (provided.get('blockdev') as { name: string; sizeBytes: number }[]).map(
      (d) => `${d.name}:${d.sizeBytes}`,
    );
    expect(names).toEqual([`vblk0:${2 << 20}`, `vblk0.1:${1 << 20}`, `vblk1:${1 << 20}`]);
  });

  it('answers malformed requests with IOERR/UNSUPP status, not a crash: bad type, beyond capacity, no status byte', () => {
    const device = new VirtioBlkDevice('d0', new MemoryBlockBackend(64 * 1024));
    const machine = new LoopbackMachine(4 << 20, [device]);
    const dma = new PageAllocator(0x100000, 3 << 20);
    const t = new VirtioMmioTransport(machine.memory, machine, machine.devices[0]!);
    t.negotiate(0n);
    const q = t.setupQueue<number>(0, 16, dma);
    t.driverOk();
    const buf = dma.alloc(8192);
    const v = machine.memory.view;
    const request = (
      type: number,
      sector: number,
      dataBytes: number,
      withStatus: boolean,
    ): { status: number; written: number } => {
      v.setUint32(buf, type, true);
      v.setBigUint64(buf + 8, BigInt(sector), true);
      machine.memory.bytes[buf + 4096] = 0xee;
      const writable = [];
      if (dataBytes) writable.push({ address: buf + 512, length: dataBytes });
      if (withStatus) writable.push({ address: buf + 4096, length: 1 });
      q.add([{ address: buf, length: 16 }], writable, type);
      if (q.publish()) t.notify(0);
      const used = q.takeUsed()!;
      return { status: machine.memory.bytes[buf + 4096]!, written: used.writtenBytes };
    };
    expect(request(99, 0, 512, true)).toEqual({ status: 2, written: 1 }); // VIRTIO_BLK_S_UNSUPP
    expect(request(0, 127, 1024, true)).toEqual({ status: 1, written: 1 }); // past the 128 sectors: IOERR
    expect(request(0, 0, 100, true)).toEqual({ status: 1, written: 1 }); // not a whole sector
    // Without a separate status descriptor the last data byte is the status (§2.6.4 framing):
    // 511 data bytes are not a whole sector, so IOERR lands there, not in the unused byte.
    expect(request(0, 0, 512, false).status).toBe(0xee);
    expect(request(0, 0, 512, true)).toEqual({ status: 0, written: 513 });
    expect(device.counters.errors).toBe(3);
    expect(device.counters.unsupported).toBe(1);
    expect(machine.transports[0]!.deviceStatus & 64).toBe(0);
  });

  it('works on queues from 4 to 32768 entries (§2.7.5.3.1: a 3-buffer request may not outgrow the ring, even indirect)', () => {
    for (const size of [4, 64, 32768]) {
      const { driver } = blkMachine(new MemoryBlockBackend(1 << 20), {
        device: { queueSize: size },
        driver: { queueSize: size, cacheBlocks: 0 },
      });
      const data = pattern(256 * 1024, size);
      driver.write(0, data);
      const back = new Uint8Array(data.length);
      driver.read(0, back);
      expect(firstDifference(back, data)).toBe(-1);
    }
  });
});
