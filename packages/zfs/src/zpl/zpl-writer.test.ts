// Property: a random sequence of ZPL operations, synced in several txgs, gives after reopening
// the same tree as an in-memory model, the pool stays leak-free (every referenced block
// allocated exactly once, space maps adding up to exactly the referenced space), and the DSL
// used/compressed/uncompressed bytes match the blocks.
import fc from 'fast-check';
import { imageDir } from '@osv-ts/vfs';
import { describe, expect, it } from 'vitest';
import { Dsl } from '../dsl/dsl.js';
import { openPool } from '../pool/pool.js';
import { WritablePool } from '../spa/writable-pool.js';
import { createPool } from '../write/create-pool.js';
import { ZplFilesystem } from './zpl.js';
import { MemoryBlockDevice } from '../../test/file-block-device.js';
import { fixedClock, seededEntropy } from '../../test/fixtures.js';
import { accountingProblems } from '../../test/accounting-check.js';
import { leakCheck } from '../../test/leak-check.js';
import { walkZpl } from '../../test/tree.js';
import { expectedTree, Model, randomStep, Rng, withoutIno } from '../../test/workload.js';

describe('ZplWriter against a model', () => {
  it('random operations, synced and reopened, match the model; no leaks', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 }),
        fc.integer({ min: 1, max: 60 }),
        fc.constantFrom(9, 12),
        (seed, steps, ashift) => {
          const dev = new MemoryBlockDevice('mem', new Uint8Array(48 << 20));
          createPool(dev, imageDir([]), { name: 'prop', clock: fixedClock, entropy: seededEntropy(seed), ashift });
          const wp = new WritablePool([dev], { clock: fixedClock, entropy: seededEntropy(seed + 1) });
          const zpl = wp.filesystem();
          const model = new Model();
          const rng = new Rng(seed);
          for (let i = 0; i < steps; i++) {
            randomStep(rng, model, zpl, { maxOffset: 600_000, maxWrite: 150_000 });
            if (rng.int(6) === 0) wp.sync();
          }
          wp.sync();
          const pool = openPool([dev]);
          const dsl = new Dsl(pool);
          const fs = new ZplFilesystem(dsl.objset(dsl.find('prop')));
          expect(withoutIno(walkZpl(fs))).toEqual(expectedTree(model));
          const leaks = leakCheck(dev);
          expect(leaks.outside).toBe(0);
          expect(leaks.referencedBytes).toBe(leaks.allocatedBytes);
          expect(accountingProblems(dev)).toEqual([]);
        },
      ),
      { numRuns: 25 },
    );
  }, 300_000);
});
