// Crash consistency by deterministic simulation: for every possible power-cut point (and seeded
// reorderings between flushes) of a createPool run, the image either opens as the complete pool
// with the right contents or is refused with a KernelError — never a half-written tree; and for
// every cut during incremental txgs on an opened pool, it opens at a txg that had synced, with
// exactly that txg's tree and leak-free space maps — and zfs-fuse scrubs a sample of those
// images clean.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KernelError } from '@osv-ts/kernel-api';
import { imageDir, imageFile, imageSymlink } from '@osv-ts/vfs';
import { describe, expect, it } from 'vitest';
import { Dsl } from '../src/dsl/dsl.js';
import { openPool } from '../src/pool/pool.js';
import { createPool } from '../src/write/create-pool.js';
import { ZplFilesystem } from '../src/zpl/zpl.js';
import { imageAfterCut, RecordingDevice } from './crash-device.js';
import { MemoryBlockDevice } from './file-block-device.js';
import { firstDiff, fixedClock, pseudoRandom, seededEntropy } from './fixtures.js';
import { WritablePool } from '../src/spa/writable-pool.js';
import { leakCheck } from './leak-check.js';
import { walkZpl, type Node } from './tree.js';
import { expectedTree, loadModel, randomStep, Rng, Scripted, withoutIno } from './workload.js';
import { ZfsFuse } from './zfs-fuse.js';

const SIZE = 24 * 1024 * 1024;
/** The incremental run's vdev: zfs-fuse imports nothing under SPA_MINDEVSIZE (64 MiB). */
const INCREMENTAL_SIZE = 64 * 1024 * 1024;
const big = pseudoRandom(300_000, 5);
const tree = imageDir([
  ['a.txt', imageFile('alpha\n')],
  ['big', imageFile(big)],
  ['d', imageDir([['l', imageSymlink('../a.txt')]])],
]);

describe('power cut during createPool', () => {
  it('every cut point gives the whole pool or a clean refusal', () => {
    const rec = new RecordingDevice('rec', SIZE);
    createPool(rec, tree, { name: 'crashy', clock: fixedClock, entropy: seededEntropy(3), ashift: 9 });
    const n = rec.writes;
    expect(n).toBeGreaterThan(20);
    let opened = 0;
    let refused = 0;
    const img = new Uint8Array(SIZE);
    for (let k = 0; k <= n; k++) {
      for (const seed of [1, 2, 3]) {
        const dev = new MemoryBlockDevice(`cut-${k}`, imageAfterCut(rec.log, img, k, seed * 1000 + k));
        let fs: ZplFilesystem;
        try {
          const pool = openPool([dev]);
          const dsl = new Dsl(pool);
          fs = new ZplFilesystem(dsl.objset(dsl.find('crashy')));
        } catch (e) {
          expect(e).toBeInstanceOf(KernelError);
          refused++;
          continue;
        }
        opened++;
        expect(new TextDecoder().decode(fs.read(fs.resolve('/a.txt'), 0, 10))).toBe('alpha\n');
        expect(firstDiff(fs.read(fs.resolve('/big'), 0, big.length), big)).toBe(-1);
        expect(fs.readlink(fs.resolve('/d/l'))).toBe('../a.txt');
      }
    }
    // Only cuts after the first label reached the disk can open; all earlier ones refuse.
    expect(opened).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});

describe('power cut during incremental txgs', () => {
  it("every cut point opens at a synced txg with exactly that txg's tree, leak-free", () => {
    const base = new MemoryBlockDevice('base', new Uint8Array(INCREMENTAL_SIZE));
    createPool(base, imageDir([['keep.txt', imageFile('synced before everything\n')]]), {
      name: 'crashy',
      clock: fixedClock,
      entropy: seededEntropy(4),
      ashift: 9,
    });
    const rec = new RecordingDevice('rec', INCREMENTAL_SIZE, base.bytes);
    const wp = new WritablePool([rec], { clock: fixedClock, entropy: seededEntropy(5) });
    const zpl = wp.filesystem();
    const model = loadModel(zpl);
    const rng = new Rng(11);
    // txg → expected tree, and the write count at which each txg's sync had finished.
    const trees = new Map<number, Map<string, Omit<Node, 'ino'>>>([[wp.txg, expectedTree(model)]]);
    const doneAt: [number, number][] = [[0, wp.txg]];
    const s = new Scripted(model, zpl);
    for (let t = 0; t < 5; t++) {
      for (let i = 0; i < 6; i++) randomStep(rng, model, zpl, { maxOffset: 400_000, maxWrite: 100_000 });
      s.file(`grow${t}`, pseudoRandom(200_000, t));
      s.write(`grow${t}`, 150_000 * (t + 1), pseudoRandom(60_000, t));
      const txg = wp.sync();
      trees.set(txg, expectedTree(model));
      doneAt.push([rec.writes, txg]);
    }
    const n = rec.writes;
    const img = new Uint8Array(INCREMENTAL_SIZE);
    const seen = new Set<number>();
    const sampleAt = new Set([1, 2, 3, 4, 5].map((i) => Math.round((n * i) / 5)));
    const samples: Uint8Array[] = [];
    for (let k = 0; k <= n; k++) {
      for (const seed of [1, 2]) {
        const dev = new MemoryBlockDevice(`cut-${k}`, imageAfterCut(rec.log, img, k, seed * 7919 + k, base.bytes));
        if (seed === 1 && sampleAt.has(k)) samples.push(dev.bytes.slice());
        const pool = openPool([dev]);
        const txg = pool.uberblock.txg;
        const mustReach = doneAt
          .filter(([w]) => w <= k)
          .map(([, t]) => t)
          .reduce((a, b) => Math.max(a, b));
        expect(txg).toBeGreaterThanOrEqual(mustReach);
        expect(trees.has(txg)).toBe(true);
        seen.add(txg);
        const dsl = new Dsl(pool);
        const fs = new ZplFilesystem(dsl.objset(dsl.find('crashy')));
        expect(withoutIno(walkZpl(fs))).toEqual(trees.get(txg));
        if (k % 7 === 0) {
          const leaks = leakCheck(dev);
          expect(leaks.outside).toBe(0);
          expect(leaks.referencedBytes).toBe(leaks.allocatedBytes);
        }
      }
    }
    // Cuts landed before, between and after the commits of all five txgs.
    expect(seen.size).toBe(6);

    // A sample of the cut images, checked by the real thing: zfs-fuse imports and scrubs them.
    const fuse = new ZfsFuse();
    fuse.start();
    try {
      samples.forEach((bytes, i) => {
        const dir = join(fuse.dir, `cut${i}`);
        mkdirSync(dir);
        writeFileSync(join(dir, 'vdev'), bytes);
        fuse.zpool('import', '-d', dir, '-R', join(dir, 'alt'), 'crashy');
        try {
          fuse.zpool('scrub', 'crashy');
          let status = '';
          for (let t = 0; t < 100 && !/scrub completed|scrub repaired/.test(status); t++) {
            status = fuse.zpool('status', '-v', 'crashy');
            Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
          }
          expect(status).toMatch(/with 0 errors/);
        } finally {
          fuse.exportPool('crashy');
        }
      });
    } finally {
      fuse.cleanup();
    }
  }, 600_000);
});
