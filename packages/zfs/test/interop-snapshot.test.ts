/// <reference types="node" />
// Interop (snapshots): osv-ts changes file systems that have snapshots — blocks born before the
// newest snapshot go on the head's deadlist instead of being freed — and takes new snapshots
// (`zfs snapshot`). Every snapshot still reads as it was; DSL accounting matches the blocks;
// zfs-fuse lists the snapshots, reads the heads byte-exact, scrubs clean, finds no leaks, and
// after it destroys every snapshot (walking our deadlists) still finds no leaks.
import { writeFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { imageDir, imageFile, type ImageNode } from '@osv-ts/vfs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dsl } from '../src/dsl/dsl.js';
import { openPool } from '../src/pool/pool.js';
import { WritablePool } from '../src/spa/writable-pool.js';
import { createPool } from '../src/write/create-pool.js';
import { ZplFilesystem } from '../src/zpl/zpl.js';
import { accountingProblems } from './accounting-check.js';
import { FileBlockDevice } from './file-block-device.js';
import { fixedClock, pseudoRandom, seededEntropy } from './fixtures.js';
import { leakCheck } from './leak-check.js';
import { walkFs, walkZpl, type Node } from './tree.js';
import { expectedTree, loadModel, randomStep, Rng, Scripted, withoutIno } from './workload.js';
import { run, ZfsFuse } from './zfs-fuse.js';

type Tree = Map<string, Omit<Node, 'ino'>>;
const fuse = new ZfsFuse();
const NAME = 'osvsnap';
const r: {
  snapshots: Map<string, { expected: Tree; got: Tree }>;
  head?: { expected: Tree; got: Tree };
  accounting?: string[];
  leaks?: { referencedBytes: number; allocatedBytes: number; outside: number };
  zdbBefore?: string;
  zdbAfter?: string;
  list?: string;
  scrub?: string;
} = { snapshots: new Map() };

const files: [string, ImageNode][] = Array.from({ length: 40 }, (_, i) => [
  `f${i}`,
  imageFile(pseudoRandom(5000 + i * 3000, i)),
]);
const tree = imageDir([...files, ['big', imageFile(pseudoRandom(2 << 20, 77))]]);
const kidTree = imageDir([
  ['k.txt', imageFile('kid\n')],
  ['kbig', imageFile(pseudoRandom(400_000, 5))],
]);

function readTree(dev: FileBlockDevice, name: string): Tree {
  const pool = openPool([dev]);
  const dsl = new Dsl(pool);
  return withoutIno(walkZpl(new ZplFilesystem(dsl.objset(dsl.find(name)))));
}

beforeAll(() => {
  fuse.start();
  try {
    const vdev = join(fuse.dir, NAME);
    writeFileSync(vdev, '');
    truncateSync(vdev, 128 << 20);
    const dev = new FileBlockDevice(vdev, false);
    createPool(dev, tree, {
      name: NAME,
      clock: fixedClock,
      entropy: seededEntropy(21),
      ashift: 12,
      compression: 3,
      path: vdev,
      snapshots: ['s1'],
      datasets: [{ name: 'kid', tree: kidTree, snapshots: ['k1'] }],
    });
    const wp = new WritablePool([dev], { clock: fixedClock, entropy: seededEntropy(22) });
    const root = wp.filesystem();
    const kid = wp.filesystem(`${NAME}/kid`);
    const model = loadModel(root);
    const kidModel = loadModel(kid);
    const expected = new Map<string, Tree>([
      [`${NAME}@s1`, expectedTree(model)],
      [`${NAME}/kid@k1`, expectedTree(kidModel)],
    ]);
    const s = new Scripted(model, root);
    const rng = new Rng(5);
    // Overwrite and delete blocks that s1 holds (→ deadlist), then churn.
    s.write('big', 100_000, pseudoRandom(500_000, 1));
    for (let i = 0; i < 60; i++) randomStep(rng, model, root, { maxOffset: 1 << 20, maxWrite: 100_000 });
    new Scripted(kidModel, kid).write('kbig', 0, pseudoRandom(200_000, 2));
    wp.sync();
    wp.snapshot(`${NAME}@s2`);
    expected.set(`${NAME}@s2`, expectedTree(model));
    s.write('big', 0, pseudoRandom(1 << 20, 3));
    for (let i = 0; i < 60; i++) randomStep(rng, model, root, { maxOffset: 1 << 20, maxWrite: 100_000 });
    wp.sync();
    wp.snapshot(`${NAME}/kid@k2`);
    expected.set(`${NAME}/kid@k2`, expectedTree(kidModel));
    new Scripted(kidModel, kid).write('kbig', 300_000, pseudoRandom(300_000, 4));
    for (let i = 0; i < 40; i++) randomStep(rng, kidModel, kid, { maxOffset: 1 << 20, maxWrite: 100_000 });
    for (let i = 0; i < 40; i++) randomStep(rng, model, root, { maxOffset: 1 << 20, maxWrite: 100_000 });
    wp.sync();
    for (const [name, exp] of expected) r.snapshots.set(name, { expected: exp, got: readTree(dev, name) });
    r.accounting = accountingProblems(dev);
    r.leaks = leakCheck(dev);
    dev.close();
    r.zdbBefore = run('zdb', ['-e', '-p', fuse.dir, '-bc', NAME], { allowFail: true });
    const mnt = join(fuse.dir, 'm');
    fuse.zpool('import', '-d', fuse.dir, NAME);
    fuse.mountAt(NAME, mnt);
    r.head = {
      expected: expectedTree(model),
      got: withoutIno(walkFs(mnt, (p) => p === 'kid' || p.startsWith('kid/'))),
    };
    r.list = fuse.zfs('list', '-H', '-o', 'name', '-t', 'all', '-r', NAME);
    fuse.zpool('scrub', NAME);
    for (let i = 0; i < 300; i++) {
      r.scrub = fuse.zpool('status', '-v', NAME);
      if (!r.scrub.includes('in progress')) break;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
    for (const snap of [`${NAME}@s1`, `${NAME}@s2`, `${NAME}/kid@k2`, `${NAME}/kid@k1`]) fuse.zfs('destroy', snap);
    fuse.exportPool(NAME);
    r.zdbAfter = run('zdb', ['-e', '-p', fuse.dir, '-bc', NAME], { allowFail: true });
  } finally {
    fuse.stop();
  }
}, 600_000);

afterAll(() => fuse.cleanup());

const noLeaks = (zdb: string | undefined): void => {
  expect(zdb).toMatch(/No leaks \(block sum matches space maps exactly\)/);
  expect(zdb).not.toMatch(/leaked space|error|mismatch/i);
};

describe('snapshots on a pool osv-ts keeps writing to', () => {
  it('every snapshot (old and newly taken) still reads exactly as it was taken', () => {
    expect(r.snapshots.size).toBe(4);
    for (const [name, s] of r.snapshots) expect({ name, tree: s.got }).toEqual({ name, tree: s.expected });
  });
  it('dataset and DSL dir space accounting matches the blocks; no leaks in process', () => {
    expect(r.accounting).toEqual([]);
    expect(r.leaks!.outside).toBe(0);
    expect(r.leaks!.referencedBytes).toBe(r.leaks!.allocatedBytes);
  });
  it('zfs-fuse lists the new snapshots and reads the head byte-exact', () => {
    expect(r.list!.trim().split('\n').sort()).toEqual([
      NAME,
      `${NAME}/kid`,
      `${NAME}/kid@k1`,
      `${NAME}/kid@k2`,
      `${NAME}@s1`,
      `${NAME}@s2`,
    ]);
    expect([...r.head!.got.keys()].sort()).toEqual([...r.head!.expected.keys()].sort());
    for (const [p, e] of r.head!.expected) expect({ p, ...r.head!.got.get(p) }).toEqual({ p, ...e });
  });
  it('zpool scrub reports 0 errors and zdb -bc finds no leaks', () => {
    expect(r.scrub).toMatch(/scrub completed after .* with 0 errors/);
    noLeaks(r.zdbBefore);
  });
  it('after zfs-fuse destroys every snapshot (consuming our deadlists), zdb -bc still finds no leaks', () => {
    noLeaks(r.zdbAfter);
  });
});
