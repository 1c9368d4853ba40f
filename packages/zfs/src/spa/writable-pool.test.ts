// Incremental txgs in memory: changes made through ZplWriter survive sync + reopen (read side)
// with every block verifying, and each txg's uberblock lands in ring slot txg % N of all four
// labels (reference §1.2, ashift 9: 128 slots, ashift 12: 32 slots), wrapping around the ring.
import { imageDir, imageFile, imageSymlink } from '@osv-ts/vfs';
import { describe, expect, it } from 'vitest';
import { Dsl } from '../dsl/dsl.js';
import { openPool, readDeviceLabels } from '../pool/pool.js';
import { traversePool } from '../pool/traverse.js';
import { createPool } from '../write/create-pool.js';
import { ZplFilesystem } from '../zpl/zpl.js';
import { WritablePool } from './writable-pool.js';
import { MemoryBlockDevice } from '../../test/file-block-device.js';
import { fixedClock, pseudoRandom, seededEntropy } from '../../test/fixtures.js';

function fresh(ashift = 9): MemoryBlockDevice {
  const dev = new MemoryBlockDevice('mem', new Uint8Array(64 << 20));
  createPool(
    dev,
    imageDir([
      ['a.txt', imageFile('alpha\n')],
      ['d', imageDir([['l', imageSymlink('../a.txt')]])],
    ]),
    { name: 'wp', clock: fixedClock, entropy: seededEntropy(1), ashift },
  );
  return dev;
}

function readFs(dev: MemoryBlockDevice): ZplFilesystem {
  const pool = openPool([dev]);
  const dsl = new Dsl(pool);
  return new ZplFilesystem(dsl.objset(dsl.find('wp')));
}

describe('WritablePool', () => {
  it('writes, syncs and reopens', () => {
    const dev = fresh();
    const wp = new WritablePool([dev], { clock: fixedClock, entropy: seededEntropy(2) });
    const fs = wp.filesystem();
    const big = pseudoRandom(1_000_000, 4);
    const f = fs.create(fs.rootObj, 'big');
    fs.write(f, 0, big);
    const t1 = wp.sync();
    expect(t1).toBe(5);
    const r = readFs(dev);
    const got = r.read(r.resolve('/big'), 0, big.length);
    expect(Buffer.from(got).equals(Buffer.from(big))).toBe(true);
    expect(new TextDecoder().decode(r.read(r.resolve('/a.txt'), 0, 100))).toBe('alpha\n');
    const stats = traversePool(openPool([dev]));
    expect(stats.blocks).toBeGreaterThan(20);
  });

  it("puts each txg's uberblock into slot txg % ring size of all four labels", () => {
    for (const ashift of [9, 12]) {
      const dev = fresh(ashift);
      const wp = new WritablePool([dev], { clock: fixedClock, entropy: seededEntropy(3) });
      const fs = wp.filesystem();
      const slots = 131072 / 2 ** Math.max(ashift, 10);
      for (let i = 0; i < slots + 3; i++) {
        fs.write(fs.create(fs.rootObj, `f${i}`), 0, new Uint8Array([i + 1]));
        const txg = wp.sync();
        const ubs = readDeviceLabels(dev).uberblocks.filter((u) => u.txg === txg);
        expect(ubs.map((u) => u.label).sort()).toEqual([0, 1, 2, 3]);
        expect(new Set(ubs.map((u) => u.slot))).toEqual(new Set([txg % slots]));
      }
      expect(openPool([dev]).uberblock.txg).toBe(wp.txg);
    }
  });
});
