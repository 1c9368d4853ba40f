/// <reference types="node" />
// The reference v5000 pool made by ZFS on Linux 0.6.2 (raidz1 over four file vdevs, snapshot and
// clone): walked with every block pointer's checksum verified, every dataset listed and read.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dsl } from '../src/dsl/dsl.js';
import { WritablePool } from '../src/spa/writable-pool.js';
import { openPool, type Pool } from '../src/pool/pool.js';
import { traversePool } from '../src/pool/traverse.js';
import { RaidzVdev } from '../src/pool/vdev.js';
import { ZplFilesystem } from '../src/zpl/zpl.js';
import { FileBlockDevice } from './file-block-device.js';
import { walkZpl, type Node } from './tree.js';

const IMAGE = '/work/shared/zfs-images/zol-0.6.2.tar.bz2';
let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'osv-zol-'));
  const r = spawnSync('tar', ['-xjf', IMAGE, '-C', dir]);
  if (r.status !== 0) throw new Error(`cannot extract ${IMAGE}: ${r.stderr.toString()}`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function vdevPath(i: number): string {
  return join(dir, 'zol-0.6.2', `vdev${i}`);
}

function open(indices = [0, 1, 2, 3]): Pool {
  return openPool(indices.map((i) => new FileBlockDevice(vdevPath(i))));
}

function trees(pool: Pool): Map<string, Map<string, Node>> {
  const dsl = new Dsl(pool);
  const out = new Map<string, Map<string, Node>>();
  for (const ds of dsl.list()) {
    const fs = new ZplFilesystem(dsl.objset(ds));
    expect(fs.version).toBe(5); // system attributes
    out.set(ds.name, walkZpl(fs));
  }
  return out;
}

describe('zol-0.6.2 reference pool (SPA 5000, raidz1)', () => {
  it('opens at SPA 5000 with its datasets, snapshot and clone', () => {
    const pool = open();
    expect(pool.version).toBe(5000);
    expect(pool.name).toBe('zol-0.6.2');
    expect(pool.vdevs.get(0)).toBeInstanceOf(RaidzVdev);
    expect([...pool.readFeatures.keys()]).toContain('org.illumos:lz4_compress');
    const dsl = new Dsl(pool);
    expect(dsl.list().map((d) => d.name)).toEqual([
      'zol-0.6.2',
      'zol-0.6.2/clone',
      'zol-0.6.2/fs',
      'zol-0.6.2/fs@snap',
    ]);
    const clone = dsl.find('zol-0.6.2/clone');
    expect(dsl.dir(clone.dirObj).originObj).toBe(dsl.find('zol-0.6.2/fs@snap').datasetObj);
  });

  it('verifies the checksum of every block pointer in the pool', () => {
    const pool = open();
    const s = traversePool(pool);
    expect(s.objsets).toBe(5);
    expect(s.blocks).toBe(437);
    expect(pool.reader.stats.checksumErrors).toBe(0);
    expect((pool.vdevs.get(0) as RaidzVdev).reconstructions).toBe(0);
  });

  it('lists and reads every file of every dataset (SA znodes)', () => {
    const t = trees(open());
    expect(t.get('zol-0.6.2/fs')!.size).toBe(241);
    expect(t.get('zol-0.6.2/fs@snap')!.size).toBe(164);
    expect(t.get('zol-0.6.2/clone')!.size).toBe(241);
    const files = [...t.get('zol-0.6.2/fs')!.values()].filter((n) => n.type === 'file');
    expect(files.length).toBeGreaterThan(50);
    // A clone starts as its origin snapshot: entries the clone did not touch are identical.
    const snap = t.get('zol-0.6.2/fs@snap')!;
    const clone = t.get('zol-0.6.2/clone')!;
    const shared = [...snap.keys()].filter(
      (k) => clone.has(k) && clone.get(k)!.ino === snap.get(k)!.ino && clone.get(k)!.type === 'file',
    );
    expect(shared.length).toBeGreaterThan(0);
  });

  it('rebuilds from parity when one raidz child is wiped or missing', () => {
    const good = trees(open());
    // Wipe the allocatable area of vdev2 (labels stay intact).
    const p = vdevPath(2);
    const size = statSync(p).size;
    const fd = openSync(p, 'r+');
    const zeros = new Uint8Array(1 << 20);
    for (let off = 4 << 20; off < size - (1 << 20); off += zeros.length) writeSync(fd, zeros, 0, zeros.length, off);
    closeSync(fd);
    const pool = open();
    expect(trees(pool)).toEqual(good);
    traversePool(pool);
    expect((pool.vdevs.get(0) as RaidzVdev).reconstructions).toBeGreaterThan(0);
    // Without vdev2 at all.
    const degraded = open([0, 1, 3]);
    expect(trees(degraded)).toEqual(good);
  });
});

describe('writing is refused with a reason', () => {
  it('names the SPA version (5000) it does not write, from one device or all four', () => {
    const clock = { resolutionNs: 1, monotonicNs: () => 0, realtimeNs: () => 0n };
    const entropy = { fill: (b: Uint8Array) => b.fill(1) };
    expect(() => new WritablePool([new FileBlockDevice(vdevPath(0), false)], { clock, entropy })).toThrow(
      /SPA version 5000.*open it read-only/,
    );
    expect(
      () =>
        new WritablePool(
          [0, 1, 2, 3].map((i) => new FileBlockDevice(vdevPath(i), false)),
          { clock, entropy },
        ),
    ).toThrow(/SPA version 5000/);
  });
});
