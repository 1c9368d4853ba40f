// Read-ahead of the virtiofs file system over the whole stack on one thread (VFS, virtiofs, the
// driver with several requests in flight, virtqueues, the device model, NodeFsBackend): whatever
// mix of sequential streams, random reads, writes, truncates and re-opens a guest does, every
// read returns what a byte-array model of the file holds, a READ the host fails reaches exactly
// the reads whose own range covers the failure, and a stream really keeps READs in flight.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Errno } from '@osv-ts/kernel-api';
import { HostClock } from '@osv-ts/core-sched';
import { VirtioFsDevice, type VirtioFsDriver } from '@osv-ts/drivers-virtio';
import type { FuseBackend } from '@osv-ts/drivers-virtio';
import { O_RDWR, type Vfs, type VirtioFs } from '@osv-ts/vfs';
import { NodeFsBackend, type NodeFsBackendOptions } from './node-fs-backend.js';
import { errnoOf, mountShare, pattern } from './test/share-under-test.js';

const KiB = 1024;
let host: string;
let backend: NodeFsBackend;

function boot(options: NodeFsBackendOptions, badOffset = -1): { vfs: Vfs; driver: VirtioFsDriver; fs: VirtioFs } {
  backend = new NodeFsBackend(host, options);
  const inner = backend;
  // The host fails a READ over `badOffset` while the file holds that byte (EIO, as a bad disk).
  const fails = (offset: bigint, size: number): boolean =>
    badOffset >= 0 &&
    Number(offset) <= badOffset &&
    badOffset < Number(offset) + size &&
    badOffset < statSync(join(host, 'f')).size;
  const faulty: FuseBackend = {
    handle: (r) =>
      r.body?.op === 'read' && fails(r.body.offset, r.body.size)
        ? { kind: 'error', errno: Errno.EIO }
        : inner.handle(r),
    readInto: (fh, offset, into) =>
      fails(offset, into.length) ? { kind: 'error', errno: Errno.EIO } : inner.readInto(fh, offset, into),
  };
  const device = new VirtioFsDevice('virtiofs0', 'share0', faulty);
  // A slow device: requests wait until the guest blocks, so several are out at once and what
  // was read ahead predates what the guest does meanwhile.
  const { vfs, driver, fs } = mountShare(device, { memoryBytes: 16 << 20, autoService: false, clock: new HostClock() });
  return { vfs, driver, fs };
}

beforeEach(() => {
  host = mkdtempSync(join(tmpdir(), 'osv-virtiofs-ahead-'));
});

afterEach(() => {
  backend.close();
  rmSync(host, { recursive: true, force: true });
});

describe('virtiofs read-ahead', () => {
  it('matches a byte-array model under streams, random reads, writes, truncates and re-opens', () => {
    const size = 256 * KiB;
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('stream' as const),
        at: fc.nat(size),
        bytes: fc.integer({ min: 1, max: 40 * KiB }),
        reads: fc.integer({ min: 1, max: 12 }),
      }),
      fc.record({ kind: fc.constant('next' as const), bytes: fc.integer({ min: 1, max: 40 * KiB }) }),
      fc.record({ kind: fc.constant('read' as const), at: fc.nat(size), bytes: fc.integer({ min: 1, max: 40 * KiB }) }),
      fc.record({
        kind: fc.constant('write' as const),
        at: fc.nat(size + 8 * KiB),
        bytes: fc.integer({ min: 1, max: 20 * KiB }),
        seed: fc.integer(),
      }),
      // Over what a stream has read ahead of its cursor, then on with the stream.
      {
        weight: 3,
        arbitrary: fc.record({
          kind: fc.constant('writeAhead' as const),
          skip: fc.nat(48 * KiB),
          bytes: fc.integer({ min: 1, max: 8 * KiB }),
          seed: fc.integer(),
        }),
      },
      fc.record({ kind: fc.constant('truncate' as const), to: fc.nat(size + 8 * KiB) }),
      fc.constant({ kind: 'reopen' as const }),
    );
    fc.assert(
      fc.property(
        fc.array(op, { minLength: 1, maxLength: 14 }),
        fc.option(fc.nat(size - 1), { nil: undefined }),
        (ops, bad) => {
          let model = pattern(size, 7);
          writeFileSync(join(host, 'f'), model);
          const badOffset = bad ?? -1;
          // 16 KiB READs, 64 KiB ahead: four chunks in flight, small enough to cross many times.
          const { vfs, driver, fs } = boot({ maxWriteBytes: 16 * KiB, readAheadBytes: 64 * KiB }, badOffset);
          let f = vfs.open('/data/f', O_RDWR);
          let cursor = 0;
          let streamed = false;
          const read = (at: number, bytes: number): void => {
            const got = new Uint8Array(bytes);
            const end = Math.min(at + bytes, model.length);
            const covers = at <= badOffset && badOffset < end;
            let n = 0;
            const errno = errnoOf(() => (n = f.pread(got, at)));
            expect(errno).toBe(covers ? Errno.EIO : undefined);
            if (covers) return;
            expect(n).toBe(Math.max(0, end - at));
            expect(Buffer.compare(Buffer.from(got.subarray(0, n)), Buffer.from(model.subarray(at, end)))).toBe(0);
            cursor = at + n;
          };
          for (const o of ops) {
            if (o.kind === 'stream') {
              let at = o.at;
              for (let k = 0; k < o.reads; k++, at += o.bytes) read(at, o.bytes);
              if (
                o.reads >= 4 &&
                o.bytes >= 16 * KiB &&
                o.at + 4 * o.bytes < Math.min(model.length, badOffset < 0 ? Infinity : badOffset)
              )
                streamed = true;
            } else if (o.kind === 'next') read(cursor, o.bytes);
            else if (o.kind === 'read') read(o.at, o.bytes);
            else if (o.kind === 'write') {
              const data = pattern(o.bytes, o.seed);
              expect(f.pwrite(data, o.at)).toBe(o.bytes);
              const grown = new Uint8Array(Math.max(model.length, o.at + o.bytes));
              grown.set(model);
              grown.set(data, o.at);
              model = grown;
            } else if (o.kind === 'truncate') {
              vfs.truncate('/data/f', o.to);
              const cut = new Uint8Array(o.to);
              cut.set(model.subarray(0, o.to));
              model = cut;
            } else {
              f.close();
              f = vfs.open('/data/f', O_RDWR);
            }
          }
          f.close();
          // A sequential stream had its chunks out together; nothing was lost on the way.
          if (streamed) expect(driver.counters.maxInFlight).toBeGreaterThanOrEqual(3);
          if (streamed) expect(fs.counters.aheadBytesUsed).toBeGreaterThan(0);
          expect(Buffer.compare(readFileSync(join(host, 'f')), Buffer.from(model))).toBe(0);
          backend.close();
        },
      ),
      { numRuns: 60 },
    );
  });

  it('reads nothing ahead when the device allows no read-ahead, or for reads that jump about', () => {
    writeFileSync(join(host, 'f'), pattern(1 << 20, 3));
    const off = boot({ maxWriteBytes: 64 * KiB, readAheadBytes: 0 });
    const buf = new Uint8Array(64 * KiB);
    const f = off.vfs.open('/data/f', O_RDWR);
    for (let at = 0; at < 1 << 20; at += buf.length) f.pread(buf, at);
    f.close();
    expect(off.fs.counters.aheadRequests).toBe(0);
    expect(off.driver.counters.maxInFlight).toBe(1);
    backend.close();

    const on = boot({ maxWriteBytes: 64 * KiB });
    const g = on.vfs.open('/data/f', O_RDWR);
    g.pread(buf, 512 * KiB);
    g.pread(buf, 128 * KiB);
    expect(on.fs.counters.aheadRequests).toBe(0); // neither continues the last read
    g.pread(buf, 192 * KiB);
    expect(on.fs.counters.aheadRequests).toBe(5); // a stream: four 64 KiB READs out, one more per one used
    g.pread(buf, 256 * KiB);
    expect(on.fs.counters.aheadBytesUsed).toBe(2 * buf.length);
    expect(on.driver.counters.maxInFlight).toBe(4);
    g.pwrite(Uint8Array.of(1), 330 * KiB); // a write drops what was read ahead
    const got = new Uint8Array(64 * KiB);
    g.pread(got, 320 * KiB); // where the stream was
    expect(got[10 * KiB]).toBe(1);
    g.close();
  });
});
