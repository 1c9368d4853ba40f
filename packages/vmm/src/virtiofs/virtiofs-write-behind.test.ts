// Write-behind of the virtiofs file system over the whole stack on one thread (VFS, virtiofs,
// the driver with several requests out, virtqueues, the device model, NodeFsBackend), with a
// device that answers only when the guest blocks: whatever mix of sequential and overlapping
// writes, reads, stats, truncates, fsyncs and re-opens a guest does, it reads and stats what a
// byte-array model says and the host file ends equal to the model; WRITEs really are out
// together; and a WRITE the host fails is reported by the file's next fsync (or write, or
// close), once.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Errno } from '@osv-ts/kernel-api';
import { HostClock } from '@osv-ts/core-sched';
import {
  VirtioFsDevice,
  type FuseBackend,
  type FuseSession,
  type FuseTicket,
  type VirtioFsDriver,
} from '@osv-ts/drivers-virtio';
import { O_RDWR, type Vfs, type VirtioFs } from '@osv-ts/vfs';
import { NodeFsBackend } from './node-fs-backend.js';
import { errnoOf, mountShare, pattern } from './test/share-under-test.js';

const KiB = 1024;
let host: string;
let backend: NodeFsBackend;

/**
 * The file system's session, watched: any request but a WRITE that goes out while a WRITE sent
 * before it is unanswered is a violation (it could overtake the WRITE on a device that answers
 * out of order; ours answers in order, so only this shows the file system relied on it).
 */
function orderWatch(inner: FuseSession): FuseSession {
  const unanswered = new Set<FuseTicket>();
  const check = (op: string): void => {
    if (op !== 'write' && unanswered.size > 0) violations.push(`${op} with ${unanswered.size} WRITEs out`);
  };
  return {
    get maxIoBytes() {
      return inner.maxIoBytes;
    },
    get maxReadaheadBytes() {
      return inner.maxReadaheadBytes;
    },
    get maxInFlight() {
      return inner.maxInFlight;
    },
    call(nodeid, body) {
      check(body.op);
      return inner.call(nodeid, body);
    },
    send(nodeid, body) {
      check(body.op);
      const t = inner.send(nodeid, body);
      if (t !== undefined && body.op === 'write') unanswered.add(t);
      return t;
    },
    receive(t) {
      try {
        return inner.receive(t);
      } finally {
        unanswered.delete(t);
      }
    },
    release(t) {
      unanswered.delete(t);
      inner.release(t);
    },
    forget(nodeid, nlookup) {
      check('forget');
      inner.forget(nodeid, nlookup);
    },
  };
}
let violations: string[] = [];

/** A share with 16 KiB WRITEs, `depth` out at once; the host fails WRITEs over `badOffset`. */
function boot(depth: number, badOffset = -1): { vfs: Vfs; driver: VirtioFsDriver; fs: VirtioFs } {
  violations = [];
  backend = new NodeFsBackend(host, { maxWriteBytes: 16 * KiB });
  const inner = backend;
  const faulty: FuseBackend = {
    handle: (r) =>
      r.body?.op === 'write' &&
      badOffset >= 0 &&
      Number(r.body.offset) <= badOffset &&
      badOffset < Number(r.body.offset) + r.body.data.length
        ? { kind: 'error', errno: Errno.EIO }
        : inner.handle(r),
    readInto: (fh, offset, into) => inner.readInto(fh, offset, into),
  };
  const device = new VirtioFsDevice('virtiofs0', 'share0', faulty);
  return mountShare(device, {
    memoryBytes: 16 << 20,
    autoService: false,
    clock: new HostClock(),
    writeBehindDepth: depth,
    wrapSession: orderWatch,
  });
}

beforeEach(() => {
  host = mkdtempSync(join(tmpdir(), 'osv-virtiofs-behind-'));
});

afterEach(() => {
  backend.close();
  rmSync(host, { recursive: true, force: true });
});

describe('virtiofs write-behind', () => {
  it('matches a byte-array model under streams of writes, overlaps, reads, stats, truncates and re-opens', () => {
    const size = 128 * KiB;
    const op = fc.oneof(
      {
        weight: 3,
        arbitrary: fc.record({
          kind: fc.constant('stream' as const),
          at: fc.nat(size),
          bytes: fc.integer({ min: 1, max: 40 * KiB }),
          writes: fc.integer({ min: 1, max: 8 }),
          seed: fc.integer(),
        }),
      },
      // Over what was just written (the WRITEs of the stream may still be out).
      fc.record({
        kind: fc.constant('overwrite' as const),
        back: fc.nat(48 * KiB),
        bytes: fc.integer({ min: 1, max: 20 * KiB }),
        seed: fc.integer(),
      }),
      fc.record({ kind: fc.constant('read' as const), at: fc.nat(size), bytes: fc.integer({ min: 1, max: 40 * KiB }) }),
      // On from where the last read ended (from 0 after an open): a read-ahead stream's READs.
      fc.record({ kind: fc.constant('readOn' as const), bytes: fc.integer({ min: 1, max: 40 * KiB }) }),
      fc.constant({ kind: 'stat' as const }),
      fc.constant({ kind: 'fsync' as const }),
      fc.record({ kind: fc.constant('truncate' as const), to: fc.nat(size + 8 * KiB) }),
      fc.constant({ kind: 'reopen' as const }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 14 }), (ops) => {
        let model = pattern(size, 7);
        writeFileSync(join(host, 'f'), model);
        const { vfs, fs } = boot(4);
        let f = vfs.open('/data/f', O_RDWR);
        let cursor = 0;
        let readCursor = 0;
        const read = (at: number, bytes: number): void => {
          const got = new Uint8Array(bytes);
          const n = f.pread(got, at);
          const end = Math.min(at + bytes, model.length);
          expect(n).toBe(Math.max(0, end - at));
          expect(Buffer.compare(Buffer.from(got.subarray(0, n)), Buffer.from(model.subarray(at, end)))).toBe(0);
          readCursor = at + n;
        };
        const write = (at: number, data: Uint8Array): void => {
          expect(f.pwrite(data, at)).toBe(data.length);
          const grown = new Uint8Array(Math.max(model.length, at + data.length));
          grown.set(model);
          grown.set(data, at);
          model = grown;
          cursor = at + data.length;
        };
        for (const o of ops) {
          if (o.kind === 'stream') {
            for (let k = 0, at = o.at; k < o.writes; k++, at += o.bytes) write(at, pattern(o.bytes, o.seed + k));
          } else if (o.kind === 'overwrite') {
            write(Math.max(0, cursor - o.back), pattern(o.bytes, o.seed));
          } else if (o.kind === 'read') read(o.at, o.bytes);
          else if (o.kind === 'readOn') read(readCursor, o.bytes);
          else if (o.kind === 'stat') {
            expect(vfs.stat('/data/f').size).toBe(model.length);
          } else if (o.kind === 'fsync') {
            f.fsync();
            expect(statSync(join(host, 'f')).size).toBe(model.length);
          } else if (o.kind === 'truncate') {
            vfs.truncate('/data/f', o.to);
            const cut = new Uint8Array(o.to);
            cut.set(model.subarray(0, o.to));
            model = cut;
          } else {
            f.close();
            f = vfs.open('/data/f', O_RDWR);
            readCursor = 0;
          }
        }
        f.close();
        expect(fs.counters.behindErrors).toBe(0);
        expect(violations).toEqual([]);
        expect(Buffer.compare(readFileSync(join(host, 'f')), Buffer.from(model))).toBe(0);
        backend.close();
      }),
      { numRuns: 80 },
    );
  });

  it('keeps WRITEs out together behind a sequential writer, and none without a depth', () => {
    writeFileSync(join(host, 'f'), new Uint8Array(0));
    const data = pattern(256 * KiB, 5);
    const on = boot(4);
    const f = on.vfs.open('/data/f', O_RDWR);
    for (let at = 0; at < data.length; at += 16 * KiB) f.pwrite(data.subarray(at, at + 16 * KiB), at);
    f.close();
    expect(on.fs.counters.behindWrites).toBe(16);
    expect(on.driver.counters.maxInFlight).toBe(4);
    expect(Buffer.compare(readFileSync(join(host, 'f')), Buffer.from(data))).toBe(0);
    expect(violations).toEqual([]);
    backend.close();

    const off = boot(0);
    const g = off.vfs.open('/data/f', O_RDWR);
    for (let at = 0; at < data.length; at += 16 * KiB) g.pwrite(data.subarray(at, at + 16 * KiB), at);
    g.close();
    expect(off.fs.counters.behindWrites).toBe(0);
    expect(off.driver.counters.maxInFlight).toBe(1);
  });

  it('reports a WRITE the host failed at the next fsync, once', () => {
    writeFileSync(join(host, 'f'), new Uint8Array(0));
    const { vfs, fs } = boot(4, 40 * KiB);
    const f = vfs.open('/data/f', O_RDWR);
    // The failing WRITE (32-48 KiB) is out when pwrite returns: pwrite cannot know yet.
    for (let at = 0; at < 64 * KiB; at += 16 * KiB) expect(f.pwrite(pattern(16 * KiB, at), at)).toBe(16 * KiB);
    expect(errnoOf(() => f.fsync())).toBe(Errno.EIO);
    expect(errnoOf(() => f.fsync())).toBeUndefined();
    expect(fs.counters.behindErrors).toBe(1);
    f.close();
  });

  it('reports it at close when nothing synced, and lets the file go all the same', () => {
    writeFileSync(join(host, 'f'), new Uint8Array(0));
    const { vfs } = boot(4, 0);
    const f = vfs.open('/data/f', O_RDWR);
    expect(f.pwrite(pattern(4 * KiB, 1), 0)).toBe(4 * KiB);
    expect(errnoOf(() => f.close())).toBe(Errno.EIO);
    // The vnode was released: the file opens, and closes, again.
    const g = vfs.open('/data/f', O_RDWR);
    expect(errnoOf(() => g.close())).toBeUndefined();
  });

  it('reports it at the next write of the file, which then writes nothing', () => {
    writeFileSync(join(host, 'f'), new Uint8Array(0));
    const { vfs } = boot(4, 0);
    const f = vfs.open('/data/f', O_RDWR);
    expect(f.pwrite(pattern(4 * KiB, 1), 0)).toBe(4 * KiB);
    expect(vfs.stat('/data/f').size).toBe(0); // the stat settled the WRITE: the host has nothing
    expect(errnoOf(() => f.pwrite(pattern(4 * KiB, 2), 8 * KiB))).toBe(Errno.EIO);
    f.close();
    expect(statSync(join(host, 'f')).size).toBe(0);
  });
});
