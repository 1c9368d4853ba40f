// Parser fuzzing below the checksum layer: a pool is written by createPool, random bytes inside
// its metadata blocks are flipped, and it is opened with checksum verification off so the
// corrupt bytes reach every parser (labels aside): nvlists, dnodes, ZAPs, DSL and znode bonuses,
// indirect trees, lzjb streams. Walking it must end in a result or a KernelError/FormatError —
// never another exception, never a hang.
import fc from 'fast-check';
import { FormatError, KernelError } from '@osv-ts/kernel-api';
import { imageDir, imageFile, imageSymlink, type ImageNode } from '@osv-ts/vfs';
import { describe, expect, it } from 'vitest';
import { Dsl } from '../src/dsl/dsl.js';
import { VDEV_LABEL_START_SIZE } from '../src/format/label.js';
import { openPool } from '../src/pool/pool.js';
import { traversePool } from '../src/pool/traverse.js';
import { createPool } from '../src/write/create-pool.js';
import { ZplFilesystem } from '../src/zpl/zpl.js';
import { MemoryBlockDevice } from './file-block-device.js';
import { fixedClock, pseudoRandom, seededEntropy } from './fixtures.js';
import { OverlayDevice } from './overlay-device.js';

const many: [string, ImageNode][] = Array.from({ length: 1500 }, (_, i) => [`n-${i}`, imageFile(`${i}`)]);
const tree = imageDir([
  ['a', imageFile('alpha')],
  ['b', imageFile(pseudoRandom(400_000, 1))],
  [
    'd',
    imageDir([
      ['l', imageSymlink('../a')],
      ['long', imageSymlink('z'.repeat(100))],
    ]),
  ],
  ['many', imageDir(many)],
  ['x'.repeat(60), imageFile('long name')],
]);

function walkAll(dev: OverlayDevice): void {
  const pool = openPool([dev], { verifyChecksums: false, arcBytes: 1 << 20 });
  const dsl = new Dsl(pool);
  for (const ds of dsl.list()) {
    let fs: ZplFilesystem;
    try {
      fs = new ZplFilesystem(dsl.objset(ds));
    } catch (e) {
      if (e instanceof KernelError || e instanceof FormatError) continue;
      throw e;
    }
    const seen = new Set<number>();
    const walk = (dir: number, depth: number): void => {
      if (depth > 20 || seen.has(dir)) return;
      seen.add(dir);
      for (const e of fs.readdir(dir).slice(0, 2000)) {
        try {
          const z = fs.stat(e.obj);
          if (z.type === 'dir') walk(e.obj, depth + 1);
          else if (z.type === 'symlink') fs.readlink(e.obj);
          else fs.read(e.obj, 0, 1 << 20);
          fs.lookup(dir, e.name);
        } catch (err) {
          if (!(err instanceof KernelError || err instanceof FormatError)) throw err;
        }
      }
    };
    try {
      walk(fs.rootObj, 0);
      for (const _ of dsl.objset(ds).objects());
    } catch (err) {
      if (!(err instanceof KernelError || err instanceof FormatError)) throw err;
    }
  }
  traversePool(pool);
}

describe('corrupt metadata with checksums off', () => {
  it('never raises anything but KernelError/FormatError', () => {
    const base = new MemoryBlockDevice('base', new Uint8Array(32 * 1024 * 1024));
    createPool(base, tree, { name: 'fuzz', clock: fixedClock, entropy: seededEntropy(9), ashift: 9, compression: 3 });
    const blocks: { offset: number; psize: number }[] = [];
    const pool = openPool([base]);
    traversePool(pool, {
      visit: (bp) => {
        if (bp.type !== 19) blocks.push({ offset: bp.dva[0].offset, psize: bp.psize });
      },
    });
    expect(blocks.length).toBeGreaterThan(20);
    fc.assert(
      fc.property(
        fc.array(fc.record({ i: fc.nat(), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }), {
          minLength: 1,
          maxLength: 12,
        }),
        (flips) => {
          const dev = new OverlayDevice(base);
          for (const f of flips) {
            const b = blocks[f.i % blocks.length]!;
            dev.flip(VDEV_LABEL_START_SIZE + b.offset + (f.at % b.psize), f.mask);
          }
          try {
            walkAll(dev);
          } catch (e) {
            if (!(e instanceof KernelError || e instanceof FormatError)) throw e;
          }
        },
        // Each run walks the whole pool with checksums off (about 1.4 s on 2 cores): 30 fixed-seed runs.
      ),
      { numRuns: 30, seed: 1234 },
    );
    // About 45 s alone on 2 cores; a loaded machine (other suites in parallel) takes several times that.
  }, 240_000);
});
