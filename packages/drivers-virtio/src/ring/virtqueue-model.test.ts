// Split virtqueues against a model: random guest/device interleavings with several requests in
// flight and completed out of order, direct and indirect chains, EVENT_IDX on and off, queue
// sizes from 1 to 32768; and fuzzed descriptor tables, which may only ever give errors.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HostClock, PageAllocator, Scheduler } from '@osv-ts/core-sched';
import { GuestMemory, GuestMemoryError } from '../guest-memory.js';
import { DeviceVirtqueue, VirtqueueError, type DescriptorChain } from '../device/device-virtqueue.js';
import { GuestVirtqueue, type IndirectTableAllocator } from '../guest/guest-virtqueue.js';
import { VirtioMmioTransport } from '../guest/mmio-transport.js';
import { MemoryBlockBackend } from '../blk/block-backend.js';
import { VirtioBlkDevice } from '../blk/blk-device.js';
import { VirtioBlkDriver } from '../blk/blk-driver.js';
import { DeviceStatus } from '../mmio/registers.js';
import { LoopbackMachine } from '../testing/loopback-machine.js';
import { contiguousLayout, splitRingBytes, DESC_SIZE } from './split-ring-layout.js';

const RING_BASE = 0x10000;

function setup(size: number, eventIdx: boolean, indirect: boolean) {
  const ringBytes = splitRingBytes(size) + 16;
  const tablesBase = RING_BASE + Math.ceil(ringBytes / 4096) * 4096;
  const mem = new GuestMemory(new SharedArrayBuffer(tablesBase + 64 * 1024 + 0x20000));
  const free: number[] = Array.from({ length: 64 }, (_, i) => tablesBase + i * 1024);
  let tablesInUse = 0;
  const tables: IndirectTableAllocator = {
    alloc: (bytes) => (bytes <= 1024 && free.length ? (tablesInUse++, free.pop()) : undefined),
    free: (a) => (tablesInUse--, void free.push(a)),
  };
  const layout = contiguousLayout(RING_BASE, size);
  const guest = new GuestVirtqueue<number>(mem, 0, layout, eventIdx, indirect ? tables : undefined);
  const device = new DeviceVirtqueue(mem, 0, layout, { eventIdx, indirect });
  const dataBase = tablesBase + 64 * 1024;
  return { mem, guest, device, dataBase, tablesInUse: () => tablesInUse };
}

type Op =
  | { kind: 'add'; readable: number; writable: number }
  | { kind: 'publish' }
  | { kind: 'pop' }
  | { kind: 'complete'; pick: number; written: number }
  | { kind: 'take' };

const ops = fc.array(
  fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record({ kind: fc.constant('add' as const), readable: fc.nat(4), writable: fc.nat(4) }),
    },
    { weight: 2, arbitrary: fc.constant({ kind: 'publish' as const }) },
    { weight: 2, arbitrary: fc.constant({ kind: 'pop' as const }) },
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant('complete' as const), pick: fc.nat(), written: fc.nat(1000) }),
    },
    { weight: 2, arbitrary: fc.constant({ kind: 'take' as const }) },
  ),
  { maxLength: 400 },
);

describe('split virtqueue model', () => {
  it('hands every chain over intact and returns every token once, with out-of-order completion', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2, 4, 16, 256, 32768),
        fc.boolean(),
        fc.boolean(),
        ops,
        (size, eventIdx, indirect, script) => {
          const q = setup(size, eventIdx, indirect);
          let nextToken = 1;
          const shape = new Map<number, { readable: [number, number][]; writable: [number, number][] }>();
          const unpublished: number[] = [];
          const published: number[] = [];
          const popped: { token: number; chain: DescriptorChain }[] = [];
          const completed: { token: number; written: number }[] = [];
          const taken: { token: number; written: number }[] = [];
          const headToken = new Map<number, number>();
          const step = (o: Op): void => {
            if (o.kind === 'add') {
              const n = o.readable + o.writable;
              const needed = indirect && n > 1 ? 1 : n;
              if (n === 0 || n > size || needed > q.guest.freeDescriptors) return;
              const token = nextToken++;
              const seg = (i: number, w: boolean): [number, number] => [
                q.dataBase + ((token * 8 + i) % 4096) * 8 + (w ? 0x10000 : 0),
                1 + ((token + i) % 50),
              ];
              const readable = Array.from({ length: o.readable }, (_, i) => seg(i, false));
              const writable = Array.from({ length: o.writable }, (_, i) => seg(i, true));
              const head = q.guest.add(
                readable.map(([address, length]) => ({ address, length })),
                writable.map(([address, length]) => ({ address, length })),
                token,
              );
              headToken.set(head, token);
              shape.set(token, { readable, writable });
              unpublished.push(token);
            } else if (o.kind === 'publish') {
              q.guest.publish();
              published.push(...unpublished.splice(0));
            } else if (o.kind === 'pop') {
              const chain = q.device.pop();
              if (published.length === 0) return void expect(chain).toBeUndefined();
              const token = published.shift()!;
              expect(headToken.get(chain!.head)).toBe(token);
              const want = shape.get(token)!;
              expect(chain!.readable.map((s) => [s.address, s.length])).toEqual(want.readable);
              expect(chain!.writable.map((s) => [s.address, s.length])).toEqual(want.writable);
              popped.push({ token, chain: chain! });
            } else if (o.kind === 'complete') {
              if (popped.length === 0) return;
              const { token, chain } = popped.splice(o.pick % popped.length, 1)[0]!;
              const written = Math.min(o.written, chain.writableBytes);
              q.device.pushUsed(chain.head, written);
              completed.push({ token: token, written });
            } else {
              const u = q.guest.takeUsed();
              if (taken.length === completed.length) return void expect(u).toBeUndefined();
              taken.push({ token: u!.token, written: u!.writtenBytes });
            }
          };
          for (const o of script) step(o);
          // Drain: publish, pop, complete and take everything still in flight.
          step({ kind: 'publish' });
          while (published.length) step({ kind: 'pop' });
          while (popped.length) step({ kind: 'complete', pick: 0, written: 7 });
          while (taken.length < completed.length) step({ kind: 'take' });
          expect(taken).toEqual(completed);
          expect(q.guest.inFlight).toBe(0);
          expect(q.guest.freeDescriptors).toBe(size);
          expect(q.tablesInUse()).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('with EVENT_IDX, a busy device is notified once until it catches up; without, on every publish', () => {
    const run = (eventIdx: boolean): number => {
      const q = setup(256, eventIdx, false);
      let notifications = 0;
      for (let round = 0; round < 5; round++) {
        // Ten batches while the device is busy, then the device drains everything.
        for (let batch = 0; batch < 10; batch++) {
          q.guest.add([{ address: q.dataBase, length: 16 }], [], batch);
          if (q.guest.publish()) notifications++;
        }
        let c;
        while ((c = q.device.pop())) q.device.pushUsed(c.head, 0);
        while (q.guest.takeUsed());
      }
      return notifications;
    };
    expect(run(true)).toBe(5);
    expect(run(false)).toBe(50);
  });

  it('fuzzed descriptor tables and rings only ever give VirtqueueError or GuestMemoryError', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 4, 64),
        fc.boolean(),
        fc.uint8Array({ minLength: 16, maxLength: 2048 }),
        fc.uint8Array({ minLength: 4, maxLength: 256 }),
        (size, indirect, table, avail) => {
          const mem = new GuestMemory(new SharedArrayBuffer(0x40000));
          const layout = contiguousLayout(RING_BASE, size);
          mem.bytes.set(table.subarray(0, DESC_SIZE * size), layout.descAddress);
          // Indirect tables the fuzz points at land somewhere in RAM: put fuzz there too.
          mem.bytes.set(table, 0x20000);
          mem.bytes.set(avail.subarray(0, 4 + 2 * size), layout.availAddress);
          const device = new DeviceVirtqueue(mem, 0, layout, { eventIdx: false, indirect });
          for (let i = 0; i < 2 * size + 2; i++) {
            try {
              const chain = device.pop();
              if (!chain) break;
              for (const s of [...chain.readable, ...chain.writable])
                expect(mem.contains(s.address, s.length)).toBe(true);
              expect(chain.readable.length + chain.writable.length).toBeLessThanOrEqual(
                Math.max(size, 2048 / DESC_SIZE),
              );
            } catch (e) {
              expect(e instanceof VirtqueueError || e instanceof GuestMemoryError).toBe(true);
              break;
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a guest scribbling over a live virtio-blk queue gets DEVICE_NEEDS_RESET with a reason, and the host carries on', () => {
    let resets = 0;
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 2048 }),
        fc.nat(),
        fc.integer({ min: 1, max: 3 }),
        (junk, where, extra) => {
          const disk = new MemoryBlockBackend(1 << 20);
          const device = new VirtioBlkDevice('d0', disk);
          const machine = new LoopbackMachine(8 << 20, [device]);
          const sched = new Scheduler(new HostClock(), machine);
          const driver = new VirtioBlkDriver(
            'vblk0',
            new VirtioMmioTransport(machine.memory, machine, machine.devices[0]!),
            machine.memory,
            new PageAllocator(0x100000, 7 << 20),
            sched,
          );
          machine.onInterrupt(machine.devices[0]!.irq, () => driver.onInterrupt());
          driver.init();
          driver.write(0, new Uint8Array(4096).fill(1));
          const transport = machine.transports[0]!;
          const layout = (transport as unknown as { queues: DeviceVirtqueue[] }).queues[0]!.layout;
          // Scribble over the descriptor table (or the indirect tables just below it), then make
          // `extra` more entries available and ring the doorbell.
          const at = Math.max(0x100000, layout.descAddress - 4096 + (where % (4096 + DESC_SIZE * layout.size)));
          machine.memory.bytes.set(junk, at);
          const idx = (layout.availAddress + 2) >>> 1;
          Atomics.store(machine.memory.halfwords, idx, (Atomics.load(machine.memory.halfwords, idx) + extra) & 0xffff);
          expect(() => transport.notify(1)).not.toThrow();
          if (transport.deviceStatus & DeviceStatus.DEVICE_NEEDS_RESET) {
            resets++;
            expect(transport.lastFailure).toMatch(/queue 0|guest RAM|virtio-blk/);
          }
        },
      ),
      { numRuns: 200 },
    );
    expect(resets).toBeGreaterThan(0);
  });
});
