// The in-process equivalent of `zdb -b`'s leak check: every DVA reachable from the newest
// uberblock is referenced exactly once, lies inside allocated space-map space, and together
// they add up to exactly what the space maps say is allocated.
import type { BlockDevice } from '@osv-ts/kernel-api';
import { openPool } from '../src/pool/pool.js';
import { traversePool } from '../src/pool/traverse.js';
import { RangeSet } from '../src/spa/range-set.js';
import { WritablePool } from '../src/spa/writable-pool.js';
import { fixedClock, seededEntropy } from './fixtures.js';

export interface LeakReport {
  referencedBytes: number;
  allocatedBytes: number;
  outside: number;
  blocks: number;
}

export function leakCheck(dev: BlockDevice): LeakReport {
  const pool = openPool([dev]);
  const wp = new WritablePool([dev], { clock: fixedClock, entropy: seededEntropy(1) });
  const seen = new RangeSet();
  let outside = 0;
  const stats = traversePool(pool, {
    visit: (bp) => {
      for (const d of bp.dva) {
        if (d.asize === 0) continue;
        seen.add(d.offset, d.offset + d.asize); // throws on a block referenced twice
        if (!wp.allocator.isAllocated(d.offset, d.asize)) outside++;
      }
    },
  });
  return {
    referencedBytes: seen.bytes,
    allocatedBytes: wp.allocator.totalAllocatedBytes,
    outside,
    blocks: stats.blocks,
  };
}
