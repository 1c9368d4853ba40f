// Crash consistency of createPool by deterministic simulation: for every possible power-cut
// point (and seeded reorderings between flushes), the image either opens as the complete pool
// with the right contents or is refused with a KernelError — never a half-written tree.
import { KernelError } from '@osv-ts/kernel-api';
import { imageDir, imageFile, imageSymlink } from '@osv-ts/vfs';
import { describe, expect, it } from 'vitest';
import { Dsl } from '../src/dsl/dsl.js';
import { openPool } from '../src/pool/pool.js';
import { createPool } from '../src/write/create-pool.js';
import { ZplFilesystem } from '../src/zpl/zpl.js';
import { imageAfterCut, RecordingDevice } from './crash-device.js';
import { MemoryBlockDevice } from './file-block-device.js';
import { fixedClock, pseudoRandom, seededEntropy } from './fixtures.js';

const SIZE = 24 * 1024 * 1024;
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
      for (const seed of [1, 2]) {
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
        expect(fs.read(fs.resolve('/big'), 0, big.length)).toEqual(big);
        expect(fs.readlink(fs.resolve('/d/l'))).toBe('../a.txt');
      }
    }
    // Only cuts after the first label reached the disk can open; all earlier ones refuse.
    expect(opened).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});
