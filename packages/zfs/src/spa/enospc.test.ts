// A full pool answers writes with ENOSPC before they are accepted, never in the middle of a
// sync: what was accepted still syncs, removing files (which needs space to sync) still works,
// and once the frees are past their deferral the space can be written again.
import { Errno, KernelError } from '@osv-ts/kernel-api';
import { imageDir } from '@osv-ts/vfs';
import { describe, expect, it } from 'vitest';
import { createPool } from '../write/create-pool.js';
import { WritablePool } from './writable-pool.js';
import { MemoryBlockDevice } from '../../test/file-block-device.js';
import { fixedClock, pseudoRandom, seededEntropy } from '../../test/fixtures.js';
import { leakCheck } from '../../test/leak-check.js';

describe('out of space', () => {
  it('refuses writes with ENOSPC up front; syncs, frees and reuses space afterwards', () => {
    const dev = new MemoryBlockDevice('mem', new Uint8Array(40 << 20));
    createPool(dev, imageDir([]), { name: 'full', clock: fixedClock, entropy: seededEntropy(1), ashift: 9 });
    const wp = new WritablePool([dev], { clock: fixedClock, entropy: seededEntropy(2) });
    const z = wp.filesystem();
    let written = 0;
    let error: unknown;
    try {
      for (let i = 0; ; i++) {
        const f = z.create(z.rootObj, `f${i}`);
        z.write(f, 0, pseudoRandom(1 << 20, i));
        written++;
        if (i % 4 === 3) wp.sync();
      }
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KernelError);
    expect((error as KernelError).errno).toBe(Errno.ENOSPC);
    expect(written).toBeGreaterThan(10);
    wp.sync();
    const full = wp.allocator.freeBytes;
    for (let i = 0; i < written; i += 2) z.unlink(z.rootObj, `f${i}`);
    const freedIn = wp.sync();
    // Frees of txg N are deferred (TXG_DEFER_SIZE = 2) and allocatable from txg N + 3 on.
    while (wp.txg < freedIn + 3) {
      z.setattr(z.rootObj, { mode: 0o755 });
      wp.sync();
    }
    expect(wp.allocator.freeBytes).toBeGreaterThan(full + (written / 2 - 1) * (1 << 20));
    for (let i = 0; i < written / 2 - 2; i++) {
      z.write(z.create(z.rootObj, `again${i}`), 0, pseudoRandom(1 << 20, 100 + i));
      wp.sync();
    }
    wp.sync();
    const leaks = leakCheck(dev);
    expect(leaks.referencedBytes).toBe(leaks.allocatedBytes);
  });
});
