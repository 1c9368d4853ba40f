// virtio-blk through the whole guest path (VirtioBlkDriver → split virtqueue → VirtioBlkDevice
// → file back-end) against node:fs reading/writing the same host file directly, in 4 KiB
// requests: sequential and random, read and write. One thread (LoopbackMachine), so the
// back-end uses readSync/writeSync; what is measured is the cost of the virtio path itself
// (descriptors, indirect tables, notifications, interrupts, bounce copies) over the syscall.
// Also: notifications per request with and without VIRTIO_F_EVENT_IDX, for a device that
// keeps up and for one that is busy (services notifications only when the guest idles).
// Prints a table; ratio = osv-ts time / node:fs time (lower is better, 1.0 = parity).
// Run: npm run bench (builds dist first).
import { closeSync, fsyncSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostClock, PageAllocator, Scheduler } from '@osv-ts/core-sched';
import {
  LoopbackMachine,
  VirtioBlkDevice,
  VirtioBlkDriver,
  VirtioMmioTransport,
  MemoryBlockBackend,
} from '../dist/index.js';

const SIZE = 64 * 1024 * 1024;
const BLOCK = 4096;
const OPS = 16384;
const ROUNDS = 5;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A BlockBackend over a host file with synchronous calls (the loopback machine is one thread). */
class SyncFileBackend {
  constructor(path) {
    this.fd = openSync(path, 'r+');
    this.sizeBytes = SIZE;
    this.readOnly = false;
  }
  read(offset, into, done) {
    readSync(this.fd, into, 0, into.length, offset);
    done();
  }
  write(offset, data, done) {
    writeSync(this.fd, data, 0, data.length, offset);
    done();
  }
  flush(done) {
    fsyncSync(this.fd);
    done();
  }
  discard(_o, _n, done) {
    done();
  }
  writeZeroes(o, n, done) {
    this.write(o, new Uint8Array(n), done);
  }
}

function guest(backend, { eventIdx = true, busy = false } = {}) {
  const device = new VirtioBlkDevice('bench0', backend);
  if (!eventIdx) Object.defineProperty(device, 'deviceFeatures', { value: device.deviceFeatures & ~(1n << 29n) });
  const machine = new LoopbackMachine(32 << 20, [device]);
  machine.autoService = !busy;
  const sched = new Scheduler(new HostClock(), machine);
  const driver = new VirtioBlkDriver(
    'vblk0',
    new VirtioMmioTransport(machine.memory, machine, machine.devices[0]),
    machine.memory,
    new PageAllocator(0x100000, 30 << 20),
    sched,
    { cacheBlocks: 0 },
  );
  machine.onInterrupt(machine.devices[0].irq, () => driver.onInterrupt());
  driver.init();
  return { driver, device, transport: machine.transports[0] };
}

const dir = mkdtempSync(join(tmpdir(), 'osv-blk-bench-'));
const path = join(dir, 'disk.raw');
const data = new Uint8Array(SIZE);
for (let i = 0; i < SIZE; i += BLOCK) data[i] = (i >>> 12) & 0xff;
writeFileSync(path, data);

let seed = 12345;
const random = Array.from({ length: OPS }, () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return (seed % (SIZE / BLOCK)) * BLOCK;
});
const sequential = Array.from({ length: OPS }, (_, i) => (i * BLOCK) % SIZE);

const { driver } = guest(new SyncFileBackend(path));
const hostFd = openSync(path, 'r+');
const buf = new Uint8Array(BLOCK);

function time(fn) {
  const runs = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    fn();
    runs.push(performance.now() - t0);
  }
  return median(runs);
}

const rows = [];
for (const [pattern, offsets] of [
  ['sequential', sequential],
  ['random', random],
]) {
  for (const op of ['read', 'write']) {
    const ours = time(() => {
      for (const o of offsets) op === 'read' ? driver.read(o, buf) : driver.write(o, buf);
    });
    const peer = time(() => {
      for (const o of offsets) op === 'read' ? readSync(hostFd, buf, 0, BLOCK, o) : writeSync(hostFd, buf, 0, BLOCK, o);
    });
    rows.push([`blk ${pattern} ${op} 4 KiB`, ours, peer]);
  }
}

console.log(
  `virtio-blk, ${OPS} requests of 4 KiB on a ${SIZE >> 20} MiB raw file, median of ${ROUNDS} (ms; ratio = osv-ts / node:fs)`,
);
for (const [name, ours, peer] of rows) {
  const mib = (OPS * BLOCK) / 1024 / 1024;
  console.log(
    `${name.padEnd(28)} osv-ts ${ours.toFixed(1).padStart(8)} ms (${(mib / (ours / 1000)).toFixed(0).padStart(5)} MiB/s)  node:fs ${peer.toFixed(1).padStart(8)} ms  ratio ${(ours / peer).toFixed(2)}`,
  );
}

// Notifications per request: 1 MiB transfers split into 64 KiB requests, 8 in flight.
console.log('\nnotifications per request (1 MiB reads as 16 requests of 64 KiB, 8 in flight):');
for (const busy of [false, true]) {
  for (const eventIdx of [true, false]) {
    const g = guest(new MemoryBlockBackend(SIZE), { eventIdx, busy });
    const big = new Uint8Array(1 << 20);
    for (let i = 0; i < 64; i++) g.driver.read((i % 64) << 20, big);
    const requests = g.device.counters.requests;
    const t = g.transport.counters;
    console.log(
      `  device ${busy ? 'busy     ' : 'keeps up '} EVENT_IDX ${eventIdx ? 'on ' : 'off'}: ${(t.notifications / requests).toFixed(3)} notifications/request, ${(t.interrupts / requests).toFixed(3)} interrupts/request`,
    );
  }
}
closeSync(hostFd);
rmSync(dir, { recursive: true, force: true });
