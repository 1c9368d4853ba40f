/// <reference types="node" />
// Interop (incremental writes): pools changed by osv-ts in many txgs — pools osv-ts created
// and pools zfs-fuse created (ashift 9 and 12, lzjb and gzip) — are imported by the real
// zfs-fuse, read back byte-exact through FUSE against an in-memory model of every change,
// scrubbed with 0 errors and checked leak-free by `zdb -bc`. The zfs-fuse pools then go back
// and forth: zfs-fuse writes and snapshots on top of our txgs, osv-ts reopens and writes again,
// and zfs-fuse checks once more.
import { mkdirSync, symlinkSync, linkSync, writeFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { imageDir, imageFile } from '@osv-ts/vfs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WritablePool } from '../src/spa/writable-pool.js';
import { createPool } from '../src/write/create-pool.js';
import { accountingProblems } from './accounting-check.js';
import { FileBlockDevice } from './file-block-device.js';
import { fixedClock, pseudoRandom, seededEntropy } from './fixtures.js';
import { walkFs, type Node } from './tree.js';
import { expectedTree, loadModel, Model, randomStep, Rng, Scripted, withoutIno } from './workload.js';
import { run, ZfsFuse } from './zfs-fuse.js';

const fuse = new ZfsFuse();
const SIZE = 128 * 1024 * 1024;

interface Outcome {
  walked: Map<string, Omit<Node, 'ino'>>;
  expected: Map<string, Omit<Node, 'ino'>>;
  scrub: string;
  zdb: string;
  txgs: number;
  manyEntries: number;
  accounting: string[];
}
const results = new Map<string, Outcome>();

/** The scripted + random workload, synced in many txgs. */
function modify(wp: WritablePool, model: Model, seed: number): number {
  const zpl = wp.filesystem();
  const s = new Scripted(model, zpl);
  const first = wp.txg;
  // A 10 000-entry directory created incrementally: microZAP → fat ZAP, leaves split.
  s.mkdir('many');
  for (let batch = 0; batch < 4; batch++) {
    for (let i = batch * 2500; i < (batch + 1) * 2500; i++)
      s.file(`many/entry-${i}`, i % 97 === 0 ? pseudoRandom(i % 3000, i) : new Uint8Array(0));
    wp.sync();
  }
  // A large file with indirect blocks, written in pieces over several txgs, then patched.
  s.file('big.bin', pseudoRandom(1 << 20, seed));
  wp.sync();
  s.write('big.bin', 1 << 20, pseudoRandom(3 << 20, seed + 1));
  s.write('big.bin', 2_500_000, new TextEncoder().encode('patched in the middle'));
  wp.sync();
  // Sparse: data far beyond the end, holes between.
  s.file('sparse', new TextEncoder().encode('head'));
  s.write('sparse', 20_000_000, new TextEncoder().encode('tail'));
  s.symlink('short-link', 'big.bin');
  s.symlink('long-link', `/very/long/${'z'.repeat(300)}`);
  s.mkdir('d');
  s.link('d/big-hardlink', 'big.bin');
  wp.sync();
  // Churn: random creates, writes, truncates, renames (replacing), unlinks, rmdirs, links.
  const rng = new Rng(seed);
  for (let i = 0; i < 400; i++) {
    randomStep(rng, model, zpl, { maxOffset: 3 << 20, maxWrite: 300_000 });
    if (i % 50 === 49) wp.sync();
  }
  wp.sync();
  return wp.txg - first;
}

function check(
  name: string,
  vdev: string,
  model: Model,
  txgs: number,
  key = name,
  between?: (mnt: string) => void,
): void {
  const accounting = accountingProblems(new FileBlockDevice(vdev));
  const zdb = run('zdb', ['-e', '-p', fuse.dir, '-bc', name], { allowFail: true });
  const mnt = join(fuse.dir, `m-${name}`);
  fuse.zpool('import', '-d', fuse.dir, name);
  fuse.mountAt(name, mnt);
  const walked = withoutIno(walkFs(mnt));
  between?.(mnt);
  fuse.zpool('scrub', name);
  let scrub = '';
  for (let i = 0; i < 300; i++) {
    scrub = fuse.zpool('status', '-v', name);
    if (!scrub.includes('in progress')) break;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  }
  fuse.exportPool(name);
  results.set(key, {
    accounting,
    walked,
    expected: expectedTree(model),
    scrub,
    zdb,
    txgs,
    manyEntries: [...walked.keys()].filter((p) => p.startsWith('many/')).length,
  });
}

const created = [
  { name: 'osvi12', ashift: 12, compression: 3 },
  { name: 'osvi9', ashift: 9, compression: 2 },
];
const foreign = [
  { name: 'zfc12', create: [] as string[], props: ['compression=lzjb'] },
  { name: 'zfc9', create: ['-o', 'ashift=9'], props: ['compression=gzip'] },
];

beforeAll(() => {
  fuse.start();
  try {
    for (const c of created) {
      const vdev = join(fuse.dir, c.name);
      writeFileSync(vdev, '');
      truncateSync(vdev, SIZE);
      const dev = new FileBlockDevice(vdev, false);
      createPool(dev, imageDir([['hello.txt', imageFile('hello\n')]]), {
        name: c.name,
        clock: fixedClock,
        entropy: seededEntropy(c.ashift),
        ashift: c.ashift,
        compression: c.compression,
        path: vdev,
      });
      const wp = new WritablePool([dev], { clock: fixedClock, entropy: seededEntropy(c.ashift + 1) });
      const model = loadModel(wp.filesystem());
      const txgs = modify(wp, model, c.ashift * 7);
      dev.close();
      check(c.name, vdev, model, txgs);
    }
    for (const f of foreign) {
      const vdev = join(fuse.dir, f.name);
      writeFileSync(vdev, '');
      truncateSync(vdev, SIZE);
      const mnt = join(fuse.dir, `pre-${f.name}`);
      fuse.zpool('create', ...f.create, '-m', mnt, f.name, vdev);
      for (const p of f.props) fuse.zfs('set', p, f.name);
      writeFileSync(join(mnt, 'existing.txt'), 'written by zfs-fuse\n');
      writeFileSync(join(mnt, 'existing-big'), pseudoRandom(700_000, 3));
      writeFileSync(join(mnt, 'text'), 'compressible line\n'.repeat(30_000));
      mkdirSync(join(mnt, 'olddir'));
      for (let i = 0; i < 60; i++) writeFileSync(join(mnt, 'olddir', `f${i}`), `file ${i}\n`.repeat(i));
      symlinkSync('existing.txt', join(mnt, 'old-link'));
      linkSync(join(mnt, 'existing-big'), join(mnt, 'olddir', 'hard'));
      fuse.exportPool(f.name);
      const dev = new FileBlockDevice(vdev, false);
      const wp = new WritablePool([dev], { clock: fixedClock, entropy: seededEntropy(5) });
      const zpl = wp.filesystem();
      const model = loadModel(zpl);
      const s = new Scripted(model, zpl);
      s.write('existing-big', 100_000, pseudoRandom(50_000, 8));
      s.write('text', 0, new TextEncoder().encode('CHANGED'));
      wp.sync();
      const txgs = modify(wp, model, 99) + 1;
      dev.close();
      // zfs-fuse checks, then writes on top of our txgs itself before exporting.
      check(f.name, vdev, model, txgs, f.name, (mnt) => {
        writeFileSync(join(mnt, 'from-zfs-fuse'), pseudoRandom(300_000, 4));
        fuse.zfs('snapshot', `${f.name}@after-osv`);
      });
      // Ping-pong: osv-ts opens the pool as zfs-fuse left it and keeps writing.
      const dev2 = new FileBlockDevice(vdev, false);
      const wp2 = new WritablePool([dev2], { clock: fixedClock, entropy: seededEntropy(6) });
      const zpl2 = wp2.filesystem();
      const model2 = loadModel(zpl2);
      const rng = new Rng(123);
      for (let i = 0; i < 150; i++) {
        randomStep(rng, model2, zpl2, { maxOffset: 2 << 20, maxWrite: 200_000 });
        if (i % 50 === 49) wp2.sync();
      }
      new Scripted(model2, zpl2).write('from-zfs-fuse', 1000, pseudoRandom(5000, 5));
      wp2.sync();
      dev2.close();
      check(f.name, vdev, model2, 4, `${f.name}-again`);
    }
  } finally {
    fuse.stop();
  }
}, 900_000);

afterAll(() => fuse.cleanup());

describe('pools changed incrementally by osv-ts, checked by zfs-fuse', () => {
  for (const name of [...created.map((c) => c.name), ...foreign.flatMap((f) => [f.name, `${f.name}-again`])]) {
    it(`${name}: every file reads back byte-exact through FUSE`, () => {
      const r = results.get(name)!;
      expect(r.txgs).toBeGreaterThan(name.endsWith('-again') ? 3 : 10);
      expect(r.manyEntries).toBeGreaterThan(9000);
      expect([...r.walked.keys()].sort()).toEqual([...r.expected.keys()].sort());
      for (const [p, e] of r.expected) expect({ p, ...r.walked.get(p) }).toEqual({ p, ...e });
    });
    it(`${name}: DSL and user/group space accounting match the blocks`, () => {
      expect(results.get(name)!.accounting).toEqual([]);
    });
    it(`${name}: zpool scrub reports 0 errors`, () => {
      const r = results.get(name)!;
      expect(r.scrub).toMatch(/scrub completed after .* with 0 errors/);
      expect(r.scrub).toMatch(/No known data errors/);
    });
    it(`${name}: zdb -bc finds no leaks`, () => {
      const r = results.get(name)!;
      expect(r.zdb).toMatch(/No leaks \(block sum matches space maps exactly\)/);
      expect(r.zdb).not.toMatch(/leaked space|error|mismatch/i);
      const bp = /bp allocated:\s+(\d+)/.exec(r.zdb)?.[1];
      expect(bp).toBeDefined();
      expect(/SPA allocated:\s+(\d+)/.exec(r.zdb)?.[1]).toBe(bp);
    });
  }
});
