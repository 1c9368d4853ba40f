// Notification and interrupt suppression (virtio 1.2 §2.7.7, §2.7.10) against a model of two
// threads: the driver's and the device's halves interleaved at every shared-memory step
// (publish = store avail->idx, then load avail_event; sleep = store avail_event, then load
// avail->idx; and the same pair for used_event/used->idx), with EVENT_IDX on and off, direct
// and indirect chains, starting anywhere around the 16-bit wrap-around of the ring indices.
// Properties: no wake-up is ever lost (whatever the interleaving, every chain is consumed once
// both sides are asleep); suppression works (an entry published while the other side had
// signals off, and had not turned them on again since, wakes nobody — the one redundant signal
// the protocol allows is when the other side re-armed meanwhile and will see the entry anyway);
// and chains cross intact.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GuestMemory } from '../guest-memory.js';
import { DeviceVirtqueue, type DescriptorChain } from '../device/device-virtqueue.js';
import { GuestVirtqueue, type IndirectTableAllocator } from '../guest/guest-virtqueue.js';
import { contiguousLayout, splitRingBytes } from './split-ring-layout.js';

const RING_BASE = 0x10000;
const TABLES = 0x80000;
const DATA = 0xa0000;

interface Pair {
  guest: GuestVirtqueue<number>;
  device: DeviceVirtqueue;
  mem: GuestMemory;
}

function pair(size: number, eventIdx: boolean, indirect: boolean): Pair {
  const mem = new GuestMemory(new SharedArrayBuffer(DATA + 0x20000));
  if (RING_BASE + splitRingBytes(size) + 2 > TABLES) throw new Error('ring too large for the test layout');
  const free = Array.from({ length: 128 }, (_, i) => TABLES + i * 256);
  const tables: IndirectTableAllocator = {
    alloc: (bytes) => (bytes <= 256 ? free.pop() : undefined),
    free: (a) => void free.push(a),
  };
  const layout = contiguousLayout(RING_BASE, size);
  return {
    mem,
    guest: new GuestVirtqueue<number>(mem, 0, layout, eventIdx, indirect ? tables : undefined),
    device: new DeviceVirtqueue(mem, 0, layout, { eventIdx, indirect }),
  };
}

/** Moves both sides' free-running indices `count` entries on, in batches (cheap). */
function advance(p: Pair, count: number): void {
  const batch = p.guest.size;
  for (let done = 0; done < count;) {
    const n = Math.min(batch, count - done);
    for (let i = 0; i < n; i++) p.guest.add([{ address: DATA, length: 1 }], [], i);
    p.guest.publish();
    let c: DescriptorChain | undefined;
    while ((c = p.device.pop())) p.device.pushUsed(c.head, 0);
    p.device.needsInterrupt();
    while (p.guest.takeUsed());
    done += n;
  }
}

/** A start position: right before, at, or after the wrap of 2^16, or anywhere. */
const start = fc.oneof(fc.integer({ min: 65536 - 40, max: 65536 + 8 }), fc.integer({ min: 0, max: 64 }));
const config = fc.record({
  size: fc.constantFrom(1, 2, 4, 16, 256),
  eventIdx: fc.boolean(),
  indirect: fc.boolean(),
  start,
});

/** Chain shapes: 1-3 readable and 0-3 writable segments whose addresses and lengths name the chain. */
function shape(token: number, readable: number, writable: number) {
  const seg = (i: number, w: boolean) => ({
    address: DATA + ((token * 7 + i) % 1024) * 16 + (w ? 0x10000 : 0),
    length: 1 + ((token + i) % 13),
  });
  return {
    readable: Array.from({ length: readable }, (_, i) => seg(i, false)),
    writable: Array.from({ length: writable }, (_, i) => seg(i, true)),
  };
}

describe('notification suppression, driver → device', () => {
  it('never loses a notification, and never notifies a device that is polling', () => {
    fc.assert(
      fc.property(
        config,
        fc.array(fc.record({ readable: fc.integer({ min: 1, max: 3 }), writable: fc.nat(3) }), {
          minLength: 1,
          maxLength: 40,
        }),
        fc.array(fc.boolean(), { maxLength: 400 }),
        ({ size, eventIdx, indirect, start }, wanted, schedule) => {
          const p = pair(size, eventIdx, indirect);
          advance(p, start);
          const chains = wanted.filter((c) => c.readable + c.writable <= size);
          // The guest program: per chain, [add + store idx] then [load event, maybe notify];
          // it waits (does not step) while the ring is full.
          let next = 0;
          let guestPhase: 'add' | 'check' = 'add';
          let kicked = false;
          let spuriousKicks = 0;
          /** The device had notifications off when the last chain was exposed and has not re-armed. */
          let suppressed = false;
          // The device program: sleeping until kicked; draining with notifications off;
          // armed (avail_event stored) before the re-check.
          let device: 'sleeping' | 'draining' | 'armed' = 'sleeping';
          const popped: number[] = [];
          const headToken = new Map<number, number>();
          const guestStep = (): boolean => {
            if (guestPhase === 'add') {
              if (next >= chains.length) return false;
              const c = chains[next]!;
              const need = indirect && c.readable + c.writable > 1 ? 1 : c.readable + c.writable;
              if (need > p.guest.freeDescriptors) return false; // a full ring waits for the device
              const s = shape(next, c.readable, c.writable);
              headToken.set(p.guest.add(s.readable, s.writable, next), next);
              p.guest.exposeAvailable();
              suppressed = !p.device.notifying;
              next++;
              guestPhase = 'check';
              return true;
            }
            if (p.guest.notificationWanted()) {
              if (suppressed) spuriousKicks++;
              kicked = true;
            }
            guestPhase = 'add';
            return true;
          };
          const deviceStep = (): boolean => {
            if (device === 'sleeping') {
              if (!kicked) return false;
              kicked = false;
              p.device.disableNotifications();
              device = 'draining';
              return true;
            }
            if (device === 'draining') {
              const chain = p.device.pop();
              if (!chain) {
                p.device.armNotifications();
                suppressed = false;
                device = 'armed';
                return true;
              }
              const token = headToken.get(chain.head)!;
              const want = shape(token, chains[token]!.readable, chains[token]!.writable);
              expect(chain.readable).toEqual(want.readable);
              expect(chain.writable).toEqual(want.writable);
              popped.push(token);
              p.device.pushUsed(chain.head, 0);
              while (p.guest.takeUsed()); // the guest reclaims at once (not under test here)
              return true;
            }
            // armed: the re-check after storing avail_event
            if (p.device.pending() > 0) {
              p.device.disableNotifications();
              device = 'draining';
            } else device = 'sleeping';
            return true;
          };
          for (const guestFirst of schedule)
            if (!(guestFirst ? guestStep() || deviceStep() : deviceStep() || guestStep())) break;
          // Let both run to the end: the guest finishes its program, then whatever the device does.
          for (let guard = 0; guard < 10_000; guard++) if (!guestStep() && !deviceStep()) break;
          expect(device).toBe('sleeping');
          expect(kicked).toBe(false);
          expect(popped).toEqual(chains.map((_, i) => i));
          expect(spuriousKicks).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('interrupt suppression, device → driver', () => {
  it('never loses an interrupt, batches them, and never interrupts a driver that is polling', () => {
    fc.assert(
      fc.property(
        config,
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.constantFrom('push', 'check', 'guest', 'guest'), { maxLength: 400 }),
        fc.boolean(),
        ({ size, eventIdx, indirect, start }, count, schedule, delayed) => {
          const p = pair(size, eventIdx, indirect);
          advance(p, start);
          // One descriptor a chain, or two through an indirect table.
          const n = Math.min(count, size);
          for (let i = 0; i < n; i++)
            p.guest.add(
              indirect && size > 1 ? [{ address: DATA, length: 1 }] : [],
              [{ address: DATA + 64, length: 8 }],
              i,
            );
          p.guest.publish();
          const chains: DescriptorChain[] = [];
          let c: DescriptorChain | undefined;
          while ((c = p.device.pop())) chains.push(c);
          expect(chains.length).toBe(n);
          // Device: push used entries, check needsInterrupt once per batch.
          let pushed = 0;
          let checkedUpTo = 0;
          let irq = false;
          let spurious = 0;
          let interrupts = 0;
          /**
           * An interrupt is owed: an entry was used while the driver had interrupts on, or the
           * driver re-armed, since the last interrupt. Under EVENT_IDX the driver turns
           * interrupts off only by leaving used_event behind, so an entry used while it was
           * armed still earns its interrupt after it has gone back to polling (virtio 1.2
           * §2.7.10: the driver must tolerate that); one with nothing owed is spurious.
           */
          let owed = false;
          // Driver: sleeping until interrupted; polling with interrupts off; armed before re-check.
          let guest: 'sleeping' | 'polling' | 'armed' = 'sleeping';
          const taken: number[] = [];
          const check = (): void => {
            if (p.device.needsInterrupt()) {
              if (!owed) spurious++;
              owed = false;
              interrupts++;
              irq = true;
            }
            checkedUpTo = pushed;
          };
          const guestStep = (): boolean => {
            if (guest === 'sleeping') {
              if (!irq) return false;
              irq = false;
              p.guest.disableInterrupts();
              guest = 'polling';
              return true;
            }
            if (guest === 'polling') {
              const u = p.guest.takeUsed();
              if (u) {
                taken.push(u.token);
                expect(u.writtenBytes).toBe(u.token % 9);
                return true;
              }
              // The delayed variant may return early when enough are used already: keep polling.
              if (delayed) {
                owed = true;
                if (!p.guest.enableInterruptsDelayed()) {
                  p.guest.disableInterrupts();
                  return true;
                }
                guest = 'sleeping';
                return true;
              }
              p.guest.armInterrupts();
              owed = true;
              guest = 'armed';
              return true;
            }
            if (p.guest.hasUsed()) {
              p.guest.disableInterrupts();
              guest = 'polling';
            } else guest = 'sleeping';
            return true;
          };
          const deviceStep = (what: 'push' | 'check'): boolean => {
            if (what === 'push' && pushed < n) {
              const chain = chains[pushed]!;
              p.device.pushUsed(chain.head, pushed % 9);
              if (p.guest.interrupting) owed = true;
              pushed++;
              return true;
            }
            if (checkedUpTo < pushed) {
              check();
              return true;
            }
            return false;
          };
          for (const s of schedule) {
            const stepped =
              s === 'guest' ? guestStep() || deviceStep('push') || deviceStep('check') : deviceStep(s) || guestStep();
            if (!stepped) break;
          }
          // Run to the end: the device finishes its pushes with a check per batch, the driver drains.
          for (let guard = 0; guard < 10_000; guard++)
            if (!deviceStep('push') && !deviceStep('check') && !guestStep()) break;
          expect(guest).toBe('sleeping');
          expect(taken).toEqual(chains.map((_, i) => i));
          expect(spurious).toBe(0);
          // A batch of used entries costs at most one interrupt.
          expect(interrupts).toBeLessThanOrEqual(n);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('with EVENT_IDX, one interrupt covers a batch the driver has not yet taken', () => {
    const p = pair(16, true, false);
    advance(p, 65530);
    for (let i = 0; i < 12; i++) p.guest.add([{ address: DATA, length: 1 }], [], i);
    p.guest.publish();
    const chains: DescriptorChain[] = [];
    let c;
    while ((c = p.device.pop())) chains.push(c);
    let interrupts = 0;
    // Three batches of four cross the wrap; the driver sleeps through all of them.
    for (let b = 0; b < 3; b++) {
      for (let i = 0; i < 4; i++) p.device.pushUsed(chains[b * 4 + i]!.head, 0);
      if (p.device.needsInterrupt()) interrupts++;
    }
    expect(interrupts).toBe(1);
    let taken = 0;
    while (p.guest.takeUsed()) taken++;
    expect(taken).toBe(12);
  });
});
