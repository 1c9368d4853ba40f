// A NIC on its own device thread (vhost-net style): the real guest driver on this thread, the
// device model on a device thread writing the guest's frames to a FIFO and a reader thread
// taking received frames from another, as osv-tap-relay's FIFOs are. The test plays the relay:
// it reads what the guest sent (stream framing, virtio_net_hdr first) and writes frames back.
import { spawnSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BootInfo } from '@osv-ts/kernel-api';
import { PageAllocator } from '@osv-ts/core-sched';
import {
  GuestMemory,
  MmioTransportModel,
  NetPair,
  VirtioMmioTransport,
  VirtioNetDevice,
  VirtioNetDriver,
} from '@osv-ts/drivers-virtio';
import { DirectMmioBus } from '../device-thread/test/direct-mmio-bus.js';
import { DeviceThread } from '../device-thread/device-thread.js';
import type { NetDeviceSpec } from '../device-thread/device-spec.js';
import { encodeStreamFrame } from './frame-stream.js';

const BASE = 0x10000;
const IRQ = 5;
const dir = mkdtempSync(join(tmpdir(), 'osv-nic-thread-'));
const cleanup: (() => void | Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

function waitFor(what: string, done: () => boolean, ms = 5_000): void {
  const until = Date.now() + ms;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  while (!done()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    Atomics.wait(nap, 0, 0, 1);
  }
}

/** A 60-byte Ethernet frame whose payload starts with `tag`. */
function frame(tag: number, length = 60): Uint8Array {
  const f = new Uint8Array(length);
  f.set([0x52, 0x54, 0, 0x12, 0x34, 0x56, 2, 0, 0, 0, 0, 1, 0x88, 0xb5]);
  f[14] = tag;
  for (let i = 15; i < length; i++) f[i] = (tag + i) & 0xff;
  return f;
}

function nicOnThread() {
  const txPath = join(dir, `to-tap-${cleanup.length}`);
  const rxPath = join(dir, `from-tap-${cleanup.length}`);
  expect(spawnSync('mkfifo', [txPath, rxPath]).status).toBe(0);
  // The relay's ends, opened read-write as TapBackend opens them for it.
  const relayIn = openSync(txPath, constants.O_RDWR | constants.O_NONBLOCK);
  const relayOut = openSync(rxPath, 'r+');
  cleanup.push(() => {
    closeSync(relayIn);
    closeSync(relayOut);
  });
  const memory = new GuestMemory(new SharedArrayBuffer(16 << 20));
  const options = { mac: Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56) };
  const spec: NetDeviceSpec = {
    kind: 'virtio-net',
    name: 'eth0',
    options,
    backend: { kind: 'tap-fifo', rxPath, txPath, vnetHeader: true, mtu: 1500 },
  };
  // The VMM-side model only answers register reads; its back-end never carries a frame.
  const device = new VirtioNetDevice('eth0', { mtu: 1500, vnetHeader: true, ...new NetPair().a }, options);
  const raise = (): void => {
    Atomics.or(memory.words, BootInfo.irqPending >>> 2, 1 << IRQ);
    Atomics.add(memory.words, BootInfo.guestWake >>> 2, 1);
  };
  const transport = new MmioTransportModel(memory, BASE, IRQ, device, { raise });
  const thread = new DeviceThread(memory, { baseAddress: BASE, sizeBytes: 0x1000, irq: IRQ }, spec, 0, (e) => {
    throw e;
  });
  cleanup.push(() => thread.stop());
  transport.remote = thread;
  thread.prepare();
  waitFor('the device thread', () => thread.ready, 20_000);
  const bus = new DirectMmioBus(transport, BASE);
  const driver = new VirtioNetDriver(
    'eth0',
    new VirtioMmioTransport(memory, bus, { baseAddress: BASE, sizeBytes: 0x1000, irq: IRQ }),
    memory,
    new PageAllocator(1 << 20, 15 << 20),
  );
  const received: Uint8Array[] = [];
  driver.init();
  driver.setReceiver((f) => received.push(f.slice()));
  /** Takes interrupts as the guest's vCPU would. */
  const pollGuest = (): void => {
    if (Atomics.exchange(memory.words, BootInfo.irqPending >>> 2, 0) !== 0) driver.onInterrupt();
  };
  // What the relay reads: stream records, each a virtio_net_hdr and a frame, or a control
  // record (the length 0xffffffff, then the TUN_F_* flags for TUNSETOFFLOAD).
  const relayRecords: (Uint8Array | { control: number })[] = [];
  let raw = new Uint8Array(0);
  const chunk = new Uint8Array(1 << 16);
  const relayRead = (): void => {
    let n: number;
    try {
      n = readSync(relayIn, chunk, 0, chunk.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return;
      throw e;
    }
    raw = Uint8Array.of(...raw, ...chunk.subarray(0, n));
    for (;;) {
      if (raw.length < 8) return;
      const view = new DataView(raw.buffer, raw.byteOffset);
      const len = view.getUint32(0);
      if (len === 0xffffffff) {
        relayRecords.push({ control: view.getUint32(4) });
        raw = raw.slice(8);
        continue;
      }
      if (raw.length < 4 + len) return;
      relayRecords.push(raw.slice(4, 4 + len));
      raw = raw.slice(4 + len);
    }
  };
  const relayWrite = (bytes: Uint8Array): void => void writeSync(relayOut, encodeStreamFrame(bytes));
  return { thread, driver, received, pollGuest, relayRecords, relayRead, relayWrite, transport };
}

describe('virtio-net on a device thread over the TAP relay FIFOs', () => {
  it('sends the offload control record, then the guest frames in order; frames from the relay reach the guest', async () => {
    const nic = nicOnThread();
    expect(nic.transport.remotelyServed).toBe(true);
    // The driver's transmit buffers come back as the device uses them (after an interrupt).
    for (let i = 0; i < 100; i++)
      waitFor('a transmit buffer', () => {
        if (nic.driver.transmit(frame(i, 60 + i))) return true;
        nic.relayRead();
        nic.pollGuest();
        return false;
      });
    // The control record first (the device sends it at DRIVER_OK), then the 100 frames.
    const want = 101;
    waitFor('the guest frames on the relay FIFO', () => {
      nic.relayRead();
      nic.pollGuest();
      return nic.relayRecords.length >= want;
    });
    expect(nic.relayRecords).toHaveLength(want);
    expect(nic.relayRecords[0]).toEqual({ control: expect.any(Number) });
    nic.relayRecords.slice(1).forEach((r, i) => {
      expect(r).toBeInstanceOf(Uint8Array);
      const bytes = r as Uint8Array;
      expect(bytes.length).toBe(12 + 60 + i);
      expect(Buffer.from(bytes.subarray(12)).equals(Buffer.from(frame(i, 60 + i)))).toBe(true);
    });
    for (let i = 0; i < 300; i++)
      nic.relayWrite(Uint8Array.of(...new Uint8Array(12), ...frame(i & 0xff, 64 + (i % 1000))));
    waitFor('the relay frames in the guest', () => {
      nic.pollGuest();
      return nic.received.length >= 300;
    });
    expect(nic.received).toHaveLength(300);
    nic.received.forEach((f, i) =>
      expect(Buffer.from(f).equals(Buffer.from(frame(i & 0xff, 64 + (i % 1000))))).toBe(true),
    );
    await nic.thread.stop();
    expect(nic.thread.counters).toMatchObject({ framesIn: 300, framesOut: 100, rxFrames: 300, txFrames: 100 });
  }, 20_000);
});
