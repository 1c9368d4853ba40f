// virtio-net TCP segmentation and checksum offload over a vnet-header back-end (a TAP with
// IFF_VNET_HDR, faked here): what the driver negotiates, the GSO headers it writes (virtio 1.2
// §5.1.6.2), what the device passes through or refuses, and what it does with the host's GSO
// frames for guests that did and did not take GUEST_TSO/GUEST_CSUM.
import { describe, expect, it } from 'vitest';
import { PageAllocator } from '@osv-ts/core-sched';
import { VirtioMmioTransport } from '../guest/mmio-transport.js';
import { LoopbackMachine } from '../testing/loopback-machine.js';
import type { GuestOffloads, NetBackend } from './net-backend.js';
import { VirtioNetDevice } from './net-device.js';
import { VirtioNetDriver, type VirtioNetDriverOptions } from './net-driver.js';
import {
  NET_HDR_BYTES,
  NET_HDR_F_NEEDS_CSUM,
  NET_HDR_GSO_TCPV4,
  NET_HDR_GSO_TCPV6,
  onesSum,
  readNetHeader,
  writeNetHeader,
  type NetHeader,
} from './net-format.js';

const MAC = new Uint8Array([0x52, 0x54, 0, 0x12, 0x34, 0x01]);
/** The header Linux's TAP gives a 64 KiB TCP/IPv4 segment of 1448-byte segments (§5.1.6.4). */
const HOST_GSO_TCPV4: Partial<NetHeader> = {
  flags: NET_HDR_F_NEEDS_CSUM,
  gsoType: NET_HDR_GSO_TCPV4,
  hdrLen: 54,
  gsoSize: 1448,
  csumStart: 34,
  csumOffset: 16,
};

/** A back-end that speaks virtio_net_hdr and records what it is sent and told. */
class VnetBackend implements NetBackend {
  readonly vnetHeader = true;
  readonly sent: Uint8Array[] = [];
  /** How many frames had been sent at each flush(). */
  readonly flushes: number[] = [];
  offloads: GuestOffloads | undefined;
  private deliver: ((frame: Uint8Array, valid: boolean) => void) | undefined;
  send(frame: Uint8Array): void {
    this.sent.push(frame.slice());
  }
  flush(): void {
    this.flushes.push(this.sent.length);
  }
  connect(deliver: (frame: Uint8Array, valid: boolean) => void): void {
    this.deliver = deliver;
  }
  setGuestOffloads(o: GuestOffloads): void {
    this.offloads = o;
  }
  /** A frame from the host with its header. */
  inject(header: Partial<NetHeader>, frame: Uint8Array): void {
    const b = new Uint8Array(NET_HDR_BYTES + frame.length);
    writeNetHeader(b, header);
    b.set(frame, NET_HDR_BYTES);
    this.deliver!(b, false);
  }
}

function guest(options: VirtioNetDriverOptions = {}) {
  const backend = new VnetBackend();
  const device = new VirtioNetDevice('net0', backend, { mac: MAC });
  const machine = new LoopbackMachine(8 << 20, [device]);
  const dma = new PageAllocator(0x100000, 7 << 20);
  const driver = new VirtioNetDriver(
    'eth0',
    new VirtioMmioTransport(machine.memory, machine, machine.devices[0]!),
    machine.memory,
    dma,
    options,
  );
  machine.onInterrupt(machine.devices[0]!.irq, () => driver.onInterrupt());
  driver.init();
  const got: { frame: Uint8Array; verified: boolean | undefined }[] = [];
  driver.setReceiver((frame, verified) => got.push({ frame: frame.slice(), verified }));
  return { backend, device, machine, driver, got };
}

/** A TCP segment (IPv4 or IPv6) with `payload` bytes, its checksum field holding the pseudo-header sum. */
function tcpFrame(version: 4 | 6, payload: number): Uint8Array {
  const ip = version === 4 ? 20 : 40;
  const f = new Uint8Array(14 + ip + 20 + payload);
  const v = new DataView(f.buffer);
  v.setUint16(12, version === 4 ? 0x0800 : 0x86dd);
  if (version === 4) {
    f[14] = 0x45;
    v.setUint16(16, 20 + 20 + payload);
    f[22] = 64;
    f[23] = 6;
    f.set([10, 0, 0, 2, 10, 0, 0, 1], 26);
    v.setUint16(24, ~onesSum(f.subarray(14, 34)) & 0xffff);
  } else {
    f[14] = 0x60;
    v.setUint16(18, 20 + payload);
    f[20] = 6;
    f[21] = 64;
    f[22 + 15] = 2;
    f[38 + 15] = 1;
  }
  const tcp = 14 + ip;
  v.setUint16(tcp, 80);
  v.setUint16(tcp + 2, 40000);
  f[tcp + 12] = 5 << 4;
  f[tcp + 13] = 0x10;
  for (let i = 0; i < payload; i++) f[tcp + 20 + i] = (i * 7 + 3) & 0xff;
  return f;
}

describe('virtio-net offloads over a vnet-header back-end', () => {
  it('negotiates TSO both ways and tells the back-end; a large TCP frame goes as one GSO frame', () => {
    const g = guest();
    expect(g.driver.offloads.tcpSegmentation).toBe(true);
    expect(g.backend.offloads).toEqual({ checksum: true, tso4: true, tso6: true });
    for (const version of [4, 6] as const) {
      const frame = tcpFrame(version, 60_000);
      expect(g.driver.transmit(frame, 1448)).toBe(true);
      const out = g.backend.sent.at(-1)!;
      const l4 = 14 + (version === 4 ? 20 : 40);
      expect(readNetHeader(out)).toMatchObject({
        flags: NET_HDR_F_NEEDS_CSUM,
        gsoType: version === 4 ? NET_HDR_GSO_TCPV4 : NET_HDR_GSO_TCPV6,
        hdrLen: l4 + 20,
        gsoSize: 1448,
        csumStart: l4,
        csumOffset: 16,
      });
      expect(out.subarray(NET_HDR_BYTES)).toEqual(frame);
    }
    expect(g.device.counters.txSegmentedFrames).toBe(2);
    expect(g.device.counters.txErrors).toBe(0);
  });

  it('flushes the back-end once per transmit batch, after its frames', () => {
    const g = guest();
    expect(g.driver.transmit(tcpFrame(4, 100))).toBe(true);
    expect(g.backend.flushes).toEqual([1]);
    expect(g.driver.transmit(tcpFrame(4, 200))).toBe(true);
    expect(g.backend.flushes).toEqual([1, 2]);
  });

  it('sends a frame that fits one segment without a GSO header', () => {
    const g = guest();
    const frame = tcpFrame(4, 1000);
    expect(g.driver.transmit(frame, 1448)).toBe(true);
    expect(readNetHeader(g.backend.sent[0]!).gsoType).toBe(0);
    expect(g.device.counters.txSegmentedFrames).toBe(0);
  });

  it('a driver without offloads still works over it: no TSO, the back-end told so, frames MTU-sized', () => {
    const g = guest({ segmentationOffload: false });
    expect(g.driver.offloads.tcpSegmentation).toBeFalsy();
    expect(g.backend.offloads).toEqual({ checksum: true, tso4: false, tso6: false });
    expect(() => g.driver.transmit(tcpFrame(4, 60_000), 1448)).toThrow(RangeError);
    const frame = tcpFrame(4, 1400);
    expect(g.driver.transmit(frame, 1448)).toBe(true);
    expect(readNetHeader(g.backend.sent[0]!)).toMatchObject({ flags: 0, gsoType: 0 });
  });

  it("hands the host's GSO frame whole to a TSO guest, marked verified, across merged buffers", () => {
    const g = guest();
    const frame = tcpFrame(4, 60_000);
    g.backend.inject(HOST_GSO_TCPV4, frame);
    g.machine.pollInterrupts();
    expect(g.got).toHaveLength(1);
    expect(g.got[0]!.frame).toEqual(frame);
    expect(g.got[0]!.verified).toBe(true);
    expect(g.device.counters.rxSegmentedFrames).toBe(1);
  });

  it('drops a GSO frame for a guest that did not take GUEST_TSO', () => {
    const g = guest({ segmentationOffload: false });
    g.backend.inject(HOST_GSO_TCPV4, tcpFrame(4, 60_000));
    g.machine.pollInterrupts();
    expect(g.device.counters.rxDropped).toBe(1);
    expect(g.got).toHaveLength(0);
  });

  it('completes a checksum the host left to the guest (NEEDS_CSUM) for a driver without GUEST_CSUM', () => {
    const backend = new VnetBackend();
    const device = new VirtioNetDevice('net0', backend, { mac: MAC });
    const machine = new LoopbackMachine(4 << 20, [device]);
    const dma = new PageAllocator(0x100000, 3 << 20);
    const t = new VirtioMmioTransport(machine.memory, machine, machine.devices[0]!);
    t.negotiate(1n << 15n); // MRG_RXBUF only: no GUEST_CSUM, so no GUEST_TSO either
    const rx = t.setupQueue<number>(0, 8, dma);
    t.setupQueue<number>(1, 8, dma);
    t.driverOk();
    expect(backend.offloads).toEqual({ checksum: false, tso4: false, tso6: false });
    const buf = dma.alloc(4096);
    rx.add([], [{ address: buf, length: 4096 }], 0);
    if (rx.publish()) t.notify(0);
    const small = tcpFrame(4, 100); // its checksum field holds the pseudo-header sum
    const pseudo = new Uint8Array(12);
    pseudo.set(small.subarray(26, 34));
    pseudo[9] = 6;
    new DataView(pseudo.buffer).setUint16(10, 20 + 100);
    new DataView(small.buffer).setUint16(50, onesSum(pseudo));
    backend.inject({ flags: NET_HDR_F_NEEDS_CSUM, csumStart: 34, csumOffset: 16 }, small);
    const used = rx.takeUsed();
    expect(used?.writtenBytes).toBe(NET_HDR_BYTES + small.length);
    const header = readNetHeader(machine.memory.bytes.subarray(buf, buf + NET_HDR_BYTES));
    expect(header.flags).toBe(0); // nothing left for a driver that did not ask
    const got = machine.memory.bytes.slice(buf + NET_HDR_BYTES, buf + NET_HDR_BYTES + small.length);
    // The completed checksum verifies: the ones' sum over pseudo-header and segment is 0xffff.
    expect(onesSum(got.subarray(34), onesSum(pseudo))).toBe(0xffff);
    expect(got.subarray(0, 50)).toEqual(small.subarray(0, 50));
  });
});
