/// <reference types="node" />
// Interop (write): pools written by osv-ts's createPool are imported by the real zfs-fuse,
// scrubbed with 0 errors, checked for leaks by zdb, and read back byte-exact through FUSE.
import { writeFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageDir, imageFile, imageSymlink, type ImageDir, type ImageNode } from '@osv-ts/vfs';
import { createPool } from '../src/write/create-pool.js';
import { FileBlockDevice } from './file-block-device.js';
import { fixedClock, pseudoRandom, seededEntropy } from './fixtures.js';
import { walkFs, type Node } from './tree.js';
import { ZfsFuse, run } from './zfs-fuse.js';
import { createHash } from 'node:crypto';

const fuse = new ZfsFuse();

function sha(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

function expectedOf(dir: ImageDir, prefix = '', out = new Map<string, Partial<Node>>()): Map<string, Partial<Node>> {
  for (const [name, node] of dir.children) {
    const p = prefix ? `${prefix}/${name}` : name;
    if (node.kind === 'dir') {
      out.set(p, { type: 'dir', mode: 0o755 });
      expectedOf(node, p, out);
    } else if (node.kind === 'symlink')
      out.set(p, { type: 'symlink', content: node.target, size: new TextEncoder().encode(node.target).length });
    else {
      const d = typeof node.data === 'function' ? node.data() : node.data;
      out.set(p, { type: 'file', mode: 0o644, size: d.length, content: sha(d) });
    }
  }
  return out;
}

function tree(): ImageDir {
  const many: [string, ImageNode][] = Array.from({ length: 2500 }, (_, i) => [
    `entry-${i}`,
    imageFile(i % 50 === 0 ? `n${i}\n` : ''),
  ]);
  return imageDir([
    ['hello.txt', imageFile('hello from osv-ts\n')],
    ['empty', imageFile(new Uint8Array(0))],
    ['big.bin', imageFile(pseudoRandom(3 * 1024 * 1024 + 77, 11))],
    ['text', imageFile('compressible text line\n'.repeat(20000))],
    ['sparse-ish', imageFile(new Uint8Array(600_000).fill(0, 0).map((_, i) => (i > 400_000 && i < 400_100 ? 1 : 0)))],
    [
      'd',
      imageDir([
        ['e', imageDir([['deep.txt', imageFile('deep\n')]])],
        ['rel', imageSymlink('../hello.txt')],
      ]),
    ],
    ['long-link', imageSymlink('t'.repeat(150))],
    ['many', imageDir(many)],
    ['a-very-long-file-name-that-does-not-fit-a-micro-zap-entry-at-all.txt', imageFile('long name\n')],
  ]);
}

const cases = [
  { name: 'osvw12', ashift: 12, compression: 2 },
  { name: 'osvw9', ashift: 9, compression: 3 },
  { name: 'osvwgz', ashift: 12, compression: 10, children: true },
];
const kidTree = (): ImageDir =>
  imageDir([
    ['kid.txt', imageFile('in the child dataset\n')],
    ['sub', imageDir([['x', imageFile(pseudoRandom(200_000, 3))]])],
  ]);
const results = new Map<
  string,
  { walked: Map<string, Node>; scrub: string; zdb: string; list: string; kidWalked: Map<string, Node>; all: string }
>();

beforeAll(() => {
  const t = tree();
  fuse.start();
  try {
    for (const c of cases) {
      const vdev = join(fuse.dir, c.name);
      writeFileSync(vdev, '');
      truncateSync(vdev, 96 * 1024 * 1024);
      const dev = new FileBlockDevice(vdev, false);
      createPool(dev, t, {
        name: c.name,
        clock: fixedClock,
        entropy: seededEntropy(c.ashift + c.compression),
        ashift: c.ashift,
        compression: c.compression,
        path: vdev,
        ...(c.children
          ? { snapshots: ['s1', 's2'], datasets: [{ name: 'kid', tree: kidTree(), compression: 3, snapshots: ['k1'] }] }
          : {}),
      });
      dev.close();
      const zdb = run('zdb', ['-e', '-p', fuse.dir, '-bc', c.name], { allowFail: true });
      // An altroot mounts the pool (and its children) under our directory straight away; setting
      // mountpoint after a mount at /NAME means a remount, which zfs-fuse can find busy.
      const altroot = join(fuse.dir, `alt-${c.name}`);
      const mnt = join(altroot, c.name);
      fuse.zpool('import', '-d', fuse.dir, '-R', altroot, c.name);
      if (c.children) fuse.zfs('mount', '-a');
      const walked = walkFs(mnt, (r) => r === 'kid' || r.startsWith('kid/'));
      const kidWalked = c.children ? walkFs(join(mnt, 'kid')) : new Map<string, Node>();
      const all = c.children ? fuse.zfs('list', '-H', '-o', 'name', '-t', 'all', '-r', c.name) : '';
      fuse.zpool('scrub', c.name);
      let scrub = '';
      for (let i = 0; i < 100; i++) {
        scrub = fuse.zpool('status', '-v', c.name);
        if (!scrub.includes('in progress')) break;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
      }
      const list = fuse.zfs('list', '-H', '-o', 'name,used', c.name);
      fuse.exportPool(c.name);
      results.set(c.name, { walked, scrub, zdb, list, kidWalked, all });
    }
  } finally {
    fuse.stop();
  }
}, 600_000);

afterAll(() => fuse.cleanup());

describe('pools created by osv-ts, checked by zfs-fuse', () => {
  for (const c of cases) {
    it(`${c.name} (ashift ${c.ashift}, compression ${c.compression}): imports and reads back byte-exact through FUSE`, () => {
      const r = results.get(c.name)!;
      const exp = expectedOf(tree());
      expect([...r.walked.keys()].sort()).toEqual([...exp.keys()].sort());
      for (const [p, e] of exp) expect({ p, ...r.walked.get(p) }).toMatchObject({ p, ...e });
    });
    it(`${c.name}: zpool scrub finds no errors`, () => {
      const r = results.get(c.name)!;
      expect(r.scrub).toMatch(/scrub completed after .* with 0 errors/);
      expect(r.scrub).toMatch(/No known data errors/);
    });
    it(`${c.name}: zdb -bc traverses every block with checksums and finds no leaks`, () => {
      const r = results.get(c.name)!;
      expect(r.zdb).toMatch(/No leaks \(block sum matches space maps exactly\)/);
      expect(r.zdb).not.toMatch(/leaked space|error|mismatch/i);
      const bp = /bp allocated:\s+(\d+)/.exec(r.zdb)?.[1];
      expect(bp).toBeDefined();
      expect(/SPA allocated:\s+(\d+)/.exec(r.zdb)?.[1]).toBe(bp);
    });
  }
});

describe('child datasets and snapshots created by osv-ts', () => {
  it('zfs-fuse lists them, mounts the child and reads it byte-exact', () => {
    const r = results.get('osvwgz')!;
    expect(r.all.trim().split('\n').sort()).toEqual([
      'osvwgz',
      'osvwgz/kid',
      'osvwgz/kid@k1',
      'osvwgz@s1',
      'osvwgz@s2',
    ]);
    const exp = expectedOf(kidTree());
    expect([...r.kidWalked.keys()].sort()).toEqual([...exp.keys()].sort());
    for (const [p, e] of exp) expect({ p, ...r.kidWalked.get(p) }).toMatchObject({ p, ...e });
  });
});
