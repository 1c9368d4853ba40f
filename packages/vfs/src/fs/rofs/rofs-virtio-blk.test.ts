// ROFS over the virtio-blk driver (its read-ahead on) and device model on one thread: sequential
// and random large reads of a file return its exact bytes, and a back-end fault in the middle of
// a sequential read reaches the reader as EIO, exactly for reads that cover the bad sector.
import { Errno, KernelError } from '@osv-ts/kernel-api';
import { HostClock, PageAllocator, Scheduler } from '@osv-ts/core-sched';
import {
  FaultInjectingBackend,
  LoopbackMachine,
  MemoryBlockBackend,
  VirtioBlkDevice,
  VirtioBlkDriver,
  VirtioMmioTransport,
} from '@osv-ts/drivers-virtio';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StepClock } from '../../../test/helpers.js';
import { imageDir, imageFile } from '../../image/image-tree.js';
import { O_RDONLY } from '../../open-flags.js';
import { Vfs } from '../../vfs.js';
import { Rofs } from './rofs.js';
import { writeRofs } from './rofs-writer.js';

const FILE_BYTES = 3 * 1024 * 1024 + 777;
const content = new Uint8Array(FILE_BYTES).map((_, i) => (i * 31 + (i >>> 9)) & 0xff);

function mount(badFileOffset: number | undefined) {
  const r = writeRofs(imageDir([['big', imageFile(content)]]));
  const backend = new MemoryBlockBackend(Math.ceil(r.image.length / 512) * 512);
  backend.bytes.set(r.image);
  // The file's data starts at the first block whose first bytes are the file's.
  let dataStart = -1;
  for (let at = 0; at < r.image.length && dataStart < 0; at += 512)
    if (r.image.subarray(at, at + 64).every((b, k) => b === content[k])) dataStart = at;
  expect(dataStart).toBeGreaterThan(0);
  const bad = badFileOffset === undefined ? -1 : dataStart + badFileOffset;
  const faulty = new FaultInjectingBackend(backend, {
    fails: (op, offset, length) => op === 'read' && offset <= bad && bad < offset + length,
  });
  const device = new VirtioBlkDevice('disk0', faulty);
  const machine = new LoopbackMachine(16 << 20, [device]);
  const sched = new Scheduler(new HostClock(), machine);
  const driver = new VirtioBlkDriver(
    'vblk0',
    new VirtioMmioTransport(machine.memory, machine, machine.devices[0]!),
    machine.memory,
    new PageAllocator(0x100000, 15 << 20),
    sched,
    { requestBytes: 256 * 1024, readAheadBytes: 1024 * 1024 },
  );
  machine.onInterrupt(machine.devices[0]!.irq, () => driver.onInterrupt());
  driver.init();
  const vfs = new Vfs({ clock: new StepClock() });
  vfs.mountRoot(new Rofs(driver));
  return { vfs, driver, device };
}

describe('ROFS on virtio-blk with read-ahead', () => {
  it('returns the exact bytes to sequential and random large reads, sequential ones served from read-ahead', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ random: fc.boolean(), at: fc.nat(FILE_BYTES), len: fc.integer({ min: 1, max: 300_000 }) }),
          { minLength: 1, maxLength: 30 },
        ),
        (reads) => {
          const { vfs } = mount(undefined);
          const f = vfs.open('/big', O_RDONLY);
          let pos = 0;
          for (const r of reads) {
            if (r.random) pos = r.at;
            const got = new Uint8Array(r.len);
            const n = f.pread(got, pos);
            expect(n).toBe(Math.max(0, Math.min(r.len, FILE_BYTES - pos)));
            const want = content.subarray(pos, pos + n);
            expect(got.subarray(0, n).findIndex((b, k) => b !== want[k])).toBe(-1);
            pos += n;
          }
        },
      ),
      { numRuns: 25 },
    );
    // A whole-file sequential read in 1 MiB reads: served from read-ahead after the first two.
    const { vfs, driver } = mount(undefined);
    const f = vfs.open('/big', O_RDONLY);
    const buf = new Uint8Array(1 << 20);
    const all = new Uint8Array(FILE_BYTES);
    let total = 0;
    for (let n; (n = f.read(buf)) > 0; total += n) all.set(buf.subarray(0, n), total);
    expect(total).toBe(FILE_BYTES);
    expect(all.findIndex((b, k) => b !== content[k])).toBe(-1);
    expect(driver.counters.readAheadBytesUsed).toBeGreaterThan(FILE_BYTES - (2 << 20) - 1024);
  });

  it('gives EIO to the sequential read that reaches a failing sector, and exact bytes around it', () => {
    const badAt = 2 * 1024 * 1024 + 100_000;
    const { vfs } = mount(badAt);
    const f = vfs.open('/big', O_RDONLY);
    const buf = new Uint8Array(256 * 1024);
    let pos = 0;
    let failedAt = -1;
    while (pos < FILE_BYTES) {
      try {
        const n = f.pread(buf, pos);
        const want = content.subarray(pos, pos + n);
        expect(buf.subarray(0, n).findIndex((b, k) => b !== want[k])).toBe(-1);
      } catch (e) {
        expect(e).toBeInstanceOf(KernelError);
        expect((e as KernelError).errno).toBe(Errno.EIO);
        failedAt = pos;
      }
      pos += buf.length;
    }
    // Exactly the one read that covers the bad sector failed; the reads after it succeeded.
    expect(failedAt).toBe(Math.floor(badAt / buf.length) * buf.length);
  });
});
