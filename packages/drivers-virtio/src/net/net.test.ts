// virtio-net end to end on one thread: two drivers, two device models, a NetPair between them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PageAllocator } from '@osv-ts/core-sched';
import { VirtioMmioTransport } from '../guest/mmio-transport.js';
import { LoopbackMachine } from '../testing/loopback-machine.js';
import { NetPair } from './net-backend.js';
import { VirtioNetDevice } from './net-device.js';
import { VirtioNetDriver, type VirtioNetDriverOptions } from './net-driver.js';
import { onesSum } from './net-format.js';

const macA = new Uint8Array([0x52, 0x54, 0, 0x12, 0x34, 0x01]);
const macB = new Uint8Array([0x52, 0x54, 0, 0x12, 0x34, 0x02]);

function twoHosts(options: VirtioNetDriverOptions = {}, deviceMtu?: number) {
  const pair = new NetPair();
  const devA = new VirtioNetDevice('net0', pair.a, { mac: macA, ...(deviceMtu ? { mtu: deviceMtu } : {}) });
  const devB = new VirtioNetDevice('net1', pair.b, { mac: macB, ...(deviceMtu ? { mtu: deviceMtu } : {}) });
  const machine = new LoopbackMachine(8 << 20, [devA, devB]);
  const dma = new PageAllocator(0x100000, 7 << 20);
  const mk = (i: number) => {
    const d = new VirtioNetDriver(
      `eth${i}`,
      new VirtioMmioTransport(machine.memory, machine, machine.devices[i]!),
      machine.memory,
      dma,
      options,
    );
    machine.onInterrupt(machine.devices[i]!.irq, () => d.onInterrupt());
    d.init();
    return d;
  };
  const a = mk(0);
  const b = mk(1);
  const gotA: Uint8Array[] = [];
  const gotB: Uint8Array[] = [];
  a.setReceiver((f) => gotA.push(f.slice()));
  b.setReceiver((f) => gotB.push(f.slice()));
  return { pair, devA, devB, machine, a, b, gotA, gotB };
}

function udpFrame(payload: Uint8Array, partialChecksum: boolean): Uint8Array {
  const f = new Uint8Array(14 + 20 + 8 + payload.length);
  const v = new DataView(f.buffer);
  f.set(macB, 0);
  f.set(macA, 6);
  v.setUint16(12, 0x0800);
  f[14] = 0x45;
  v.setUint16(16, 20 + 8 + payload.length);
  f[22] = 64;
  f[23] = 17;
  f.set([10, 0, 0, 1], 26);
  f.set([10, 0, 0, 2], 30);
  v.setUint16(24, ~onesSum(f.subarray(14, 34)) & 0xffff);
  v.setUint16(34, 1234);
  v.setUint16(36, 5678);
  v.setUint16(38, 8 + payload.length);
  f.set(payload, 42);
  // Pseudo-header sum: src, dst, proto, UDP length.
  const pseudo = new Uint8Array(12);
  pseudo.set(f.subarray(26, 34), 0);
  pseudo[9] = 17;
  new DataView(pseudo.buffer).setUint16(10, 8 + payload.length);
  const partial = onesSum(pseudo);
  if (partialChecksum) v.setUint16(40, partial);
  else v.setUint16(40, ~onesSum(f.subarray(34), partial) & 0xffff);
  return f;
}

describe('virtio-net', () => {
  it('keeps frames that arrived before the driver first set the device up (its probe resets it)', () => {
    const pair = new NetPair();
    const dev = new VirtioNetDevice('net0', pair.a, { mac: macA });
    const machine = new LoopbackMachine(8 << 20, [dev]);
    const early = [udpFrame(Uint8Array.of(1, 2, 3), false), udpFrame(Uint8Array.of(4, 5), false)];
    for (const f of early) pair.b.send(f);
    const driver = new VirtioNetDriver(
      'eth0',
      new VirtioMmioTransport(machine.memory, machine, machine.devices[0]!),
      machine.memory,
      new PageAllocator(0x100000, 7 << 20),
    );
    driver.init();
    const got: Uint8Array[] = [];
    driver.setReceiver((f) => got.push(f.slice()));
    expect(got.map((f) => [...f])).toEqual(early.map((f) => [...f]));
  });

  it('reads the MAC and link status, and reports link changes', () => {
    const { a, b, devB, machine } = twoHosts();
    expect([...a.mac]).toEqual([...macA]);
    expect([...b.mac]).toEqual([...macB]);
    expect(b.linkUp).toBe(true);
    devB.setLinkUp(false);
    machine.pollInterrupts();
    expect(b.linkUp).toBe(false);
  });

  it('carries frames of every size both ways, intact and in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.uint8Array({ minLength: 14, maxLength: 1514 })), { maxLength: 150 }),
        (frames) => {
          const h = twoHosts();
          for (const [toB, f] of frames) {
            const sender = toB ? h.a : h.b;
            if (!sender.transmit(f)) {
              h.machine.pollInterrupts();
              expect(sender.transmit(f)).toBe(true);
            }
            h.machine.pollInterrupts();
          }
          h.machine.pollInterrupts();
          expect(h.gotB).toEqual(frames.filter(([toB]) => toB).map(([, f]) => f));
          expect(h.gotA).toEqual(frames.filter(([toB]) => !toB).map(([, f]) => f));
        },
      ),
      { numRuns: 30 },
    );
  });

  it('merges receive buffers (MRG_RXBUF) for a frame larger than one buffer', () => {
    const h = twoHosts();
    const big = new Uint8Array(5000).map((_, i) => i & 0xff);
    h.pair.a.send(big); // straight from the host side into net1
    h.machine.pollInterrupts();
    expect(h.gotB).toEqual([big]);
    expect(h.b.counters.rxBuffers).toBe(3);
  });

  it('completes a partial UDP checksum on transmit (CSUM) and marks received frames DATA_VALID (GUEST_CSUM)', () => {
    const h = twoHosts({ txChecksumOffload: true });
    expect(h.a.offloads.txChecksum).toBe(true);
    const payload = new TextEncoder().encode('checksum me, device');
    h.a.transmit(udpFrame(payload, true));
    h.machine.pollInterrupts();
    expect(h.gotB).toEqual([udpFrame(payload, false)]);
    expect(h.devA.counters.txChecksums).toBe(1);
    expect(h.b.counters.rxChecksumValid).toBe(1);
  });

  it('adopts a large device MTU (passt, a TAP at 65520) and carries frames of that size both ways, byte for byte', () => {
    const h = twoHosts({}, 65520);
    expect(h.a.mtu).toBe(65520);
    const frame = (n: number, seed: number) => {
      const f = new Uint8Array(14 + n);
      for (let i = 14; i < f.length; i++) f[i] = (i * 31 + seed) & 0xff;
      f.set(macB, 0);
      f.set(macA, 6);
      return f;
    };
    // Large frames (a merged receive of 33 buffers each) among small ones, more than the large
    // transmit buffers at once: each is taken back as the device uses it.
    const sent = [frame(65520, 1), frame(100, 2), frame(40000, 3), frame(2035, 4), frame(65520, 5)];
    for (let round = 0; round < 4; round++) for (const f of sent) expect(h.a.transmit(f)).toBe(true);
    // More than the posted receive buffers hold: the rest arrive as the driver reposts them.
    for (let i = 0; i < 4; i++) h.machine.pollInterrupts();
    const expected = [...sent, ...sent, ...sent, ...sent];
    expect(h.gotB.map((f) => f.length)).toEqual(expected.map((f) => f.length));
    h.gotB.forEach((f, i) => expect(f.every((b, j) => b === expected[i]![j])).toBe(true));
    expect(h.b.counters.rxBuffers).toBeGreaterThan(h.b.counters.rxFrames);
    expect(() => h.a.transmit(new Uint8Array(14 + 65521))).toThrow(RangeError);
  });

  it('caps a large device MTU to its small buffers when it has no large ones', () => {
    const h = twoHosts({ largeTxBuffers: 0 }, 65520);
    expect(h.a.mtu).toBe(2048 - 12 - 14);
    expect(() => h.a.transmit(new Uint8Array(14 + 2048))).toThrow(RangeError);
  });

  it('reports a full transmit queue for a large frame while its buffers are in flight, then recovers', () => {
    const h = twoHosts({ largeTxBuffers: 2 }, 9000);
    h.machine.autoService = false;
    let ready = 0;
    h.a.onTransmitReady = () => ready++;
    const big = new Uint8Array(14 + 9000);
    expect(h.a.transmit(big)).toBe(true);
    expect(h.a.transmit(big)).toBe(true);
    expect(h.a.transmit(big)).toBe(false);
    expect(h.a.transmit(new Uint8Array(60))).toBe(true); // small buffers are separate
    h.machine.serviceDevices();
    h.machine.pollInterrupts();
    expect(ready).toBe(1);
    expect(h.a.transmit(big)).toBe(true);
  });

  it('returns false from transmit when every buffer is in flight, then calls onTransmitReady', () => {
    const h = twoHosts({ txBuffers: 4 });
    h.machine.autoService = false;
    let ready = 0;
    h.a.onTransmitReady = () => ready++;
    const f = new Uint8Array(60);
    for (let i = 0; i < 4; i++) expect(h.a.transmit(f)).toBe(true);
    expect(h.a.transmit(f)).toBe(false);
    h.machine.serviceDevices();
    h.machine.pollInterrupts();
    expect(ready).toBe(1);
    expect(h.a.transmit(f)).toBe(true);
  });

  it('survives arbitrary virtio_net_hdr bytes and frame contents from the guest: bad ones are counted, never thrown', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.uint8Array({ minLength: 12, maxLength: 12 }), fc.uint8Array({ maxLength: 200 })), {
          maxLength: 20,
        }),
        (packets) => {
          const sent: Uint8Array[] = [];
          const device = new VirtioNetDevice(
            'net0',
            { send: (f) => void sent.push(f), connect: () => undefined },
            { mac: macA },
          );
          const machine = new LoopbackMachine(4 << 20, [device]);
          const dma = new PageAllocator(0x100000, 3 << 20);
          const t = new VirtioMmioTransport(machine.memory, machine, machine.devices[0]!);
          t.negotiate(1n << 0n); // CSUM: the device must honour NEEDS_CSUM
          t.setupQueue<number>(0, 8, dma);
          const tx = t.setupQueue<number>(1, 32, dma);
          t.driverOk();
          const buf = dma.alloc(32 * 256);
          packets.forEach(([hdr, frame], i) => {
            machine.memory.bytes.set(hdr, buf + i * 256);
            machine.memory.bytes.set(frame, buf + i * 256 + 12);
            tx.add([{ address: buf + i * 256, length: 12 + frame.length }], [], i);
          });
          expect(() => (tx.publish(), t.notify(1))).not.toThrow();
          expect(machine.transports[0]!.deviceStatus & 64).toBe(0);
          expect(sent.length + device.counters.txErrors).toBe(packets.length);
          sent.forEach((f) => expect(f.length).toBeLessThanOrEqual(200));
        },
      ),
      { numRuns: 200 },
    );
  });
});
