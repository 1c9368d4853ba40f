// The driver's and the device's halves of a split virtqueue against a simple model: random
// interleavings of add / publish / device pop / device push / driver take.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GuestMemory } from '../guest-memory.js';
import { contiguousLayout, splitRingBytes } from '../ring/split-ring-layout.js';
import { DeviceVirtqueue, VirtqueueError } from '../device/device-virtqueue.js';
import { GuestVirtqueue } from './guest-virtqueue.js';

function pair(size: number, eventIdx: boolean) {
  const mem = new GuestMemory(new SharedArrayBuffer(splitRingBytes(size) + 0x10000 + 0x100000));
  const layout = contiguousLayout(0x10000, size);
  const guest = new GuestVirtqueue<number>(mem, 0, layout, eventIdx);
  const device = new DeviceVirtqueue(mem, 0, layout, { eventIdx, indirect: false });
  return { mem, guest, device };
}

type Op =
  | { kind: 'add'; readable: number; writable: number }
  | { kind: 'publish' }
  | { kind: 'pop' }
  | { kind: 'push'; written: number }
  | { kind: 'take' };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('add' as const),
    readable: fc.integer({ min: 0, max: 3 }),
    writable: fc.integer({ min: 0, max: 3 }),
  }),
  fc.constant({ kind: 'publish' as const }),
  fc.constant({ kind: 'pop' as const }),
  fc.record({ kind: fc.constant('push' as const), written: fc.integer({ min: 0, max: 100 }) }),
  fc.constant({ kind: 'take' as const }),
);

describe('split virtqueue, driver and device', () => {
  it('delivers every chain intact and returns every token exactly once, in used order', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2, 4, 8, 16),
        fc.boolean(),
        fc.array(op, { maxLength: 300 }),
        (size, eventIdx, ops) => {
          const { guest, device } = pair(size, eventIdx);
          let nextToken = 0;
          const added = new Map<number, { readable: number[]; writable: number[] }>(); // token → segment lengths
          const unpublished: number[] = [];
          const published: number[] = [];
          const popped: { head: number; token: number }[] = [];
          const usedOrder: { token: number; written: number }[] = [];
          const taken: { token: number; written: number }[] = [];
          for (const o of ops) {
            if (o.kind === 'add') {
              const n = o.readable + o.writable;
              if (n === 0 || n > guest.freeDescriptors) continue;
              const token = nextToken++;
              const segs = (k: number, base: number) =>
                Array.from({ length: k }, (_, i) => ({
                  address: 0x20000 + base + i * 64,
                  length: 1 + ((token + i) % 60),
                }));
              const readable = segs(o.readable, 0);
              const writable = segs(o.writable, 0x1000);
              guest.add(readable, writable, token);
              added.set(token, { readable: readable.map((s) => s.length), writable: writable.map((s) => s.length) });
              unpublished.push(token);
            } else if (o.kind === 'publish') {
              guest.publish();
              published.push(...unpublished.splice(0));
            } else if (o.kind === 'pop') {
              const chain = device.pop();
              if (published.length === 0) {
                expect(chain).toBeUndefined();
                continue;
              }
              const token = published.shift()!;
              expect(chain).toBeDefined();
              expect(chain!.readable.map((s) => s.length)).toEqual(added.get(token)!.readable);
              expect(chain!.writable.map((s) => s.length)).toEqual(added.get(token)!.writable);
              popped.push({ head: chain!.head, token });
            } else if (o.kind === 'push') {
              const p = popped.shift();
              if (!p) continue;
              device.pushUsed(p.head, o.written);
              usedOrder.push({ token: p.token, written: o.written });
            } else {
              const u = guest.takeUsed();
              if (taken.length === usedOrder.length) expect(u).toBeUndefined();
              else {
                expect(u).toEqual({
                  token: usedOrder[taken.length]!.token,
                  writtenBytes: usedOrder[taken.length]!.written,
                });
                taken.push({ token: u!.token, written: u!.writtenBytes });
              }
            }
            // Descriptors are conserved: free + those held by chains not yet taken back.
            const held = [
              ...unpublished,
              ...published,
              ...popped.map((p) => p.token),
              ...usedOrder.slice(taken.length).map((u) => u.token),
            ].reduce((n, t) => n + added.get(t)!.readable.length + added.get(t)!.writable.length, 0);
            expect(guest.freeDescriptors + held).toBe(size);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps working across 16-bit index wrap-around', () => {
    const { guest, device } = pair(4, true);
    for (let i = 0; i < 70_000; i++) {
      guest.add([{ address: 0x20000, length: 8 }], [{ address: 0x21000, length: 8 }], i);
      guest.publish();
      const chain = device.pop()!;
      device.pushUsed(chain.head, i % 9);
      expect(guest.takeUsed()).toEqual({ token: i, writtenBytes: i % 9 });
    }
    expect(guest.freeDescriptors).toBe(4);
  });

  it('suppresses interrupts as the driver asks (flags, and EVENT_IDX)', () => {
    const plain = pair(8, false);
    plain.guest.disableInterrupts();
    plain.guest.add([{ address: 0x20000, length: 1 }], [], 1);
    plain.guest.publish();
    plain.device.pushUsed(plain.device.pop()!.head, 0);
    expect(plain.device.needsInterrupt()).toBe(false);
    expect(plain.guest.enableInterrupts()).toBe(false); // one used entry is waiting
    expect(plain.guest.takeUsed()?.token).toBe(1);
    expect(plain.guest.enableInterrupts()).toBe(true);
    plain.guest.add([{ address: 0x20000, length: 1 }], [], 2);
    plain.guest.publish();
    plain.device.pushUsed(plain.device.pop()!.head, 0);
    expect(plain.device.needsInterrupt()).toBe(true);

    // EVENT_IDX: the driver took nothing, so used_event is 0: only the first used entry interrupts.
    const ev = pair(8, true);
    for (let i = 0; i < 3; i++) ev.guest.add([{ address: 0x20000, length: 1 }], [], i);
    ev.guest.publish();
    ev.device.pushUsed(ev.device.pop()!.head, 0);
    expect(ev.device.needsInterrupt()).toBe(true);
    ev.device.pushUsed(ev.device.pop()!.head, 0);
    expect(ev.device.needsInterrupt()).toBe(false);
  });

  it('rejects hostile descriptor tables with VirtqueueError only', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16 * 8, maxLength: 16 * 8 }),
        fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }),
        fc.integer({ min: 0, max: 0xffff }),
        (table, ring, availIdx) => {
          const { mem, device } = pair(8, false);
          const layout = device.layout;
          mem.bytes.set(table, layout.descAddress);
          ring.forEach((h, i) => mem.view.setUint16(layout.availAddress + 4 + 2 * i, h, true));
          mem.view.setUint16(layout.availAddress + 2, availIdx, true);
          try {
            for (let i = 0; i < 8; i++) {
              const c = device.pop();
              if (!c) break;
              for (const s of [...c.readable, ...c.writable]) expect(mem.contains(s.address, s.length)).toBe(true);
            }
          } catch (e) {
            expect(e).toBeInstanceOf(VirtqueueError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
