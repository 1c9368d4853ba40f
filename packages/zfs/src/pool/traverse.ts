// Whole-pool traversal (traverse.c / what `zpool scrub` walks): every block pointer reachable
// from the uberblock — MOS, every dataset, snapshot and clone, every object's indirect tree,
// bonus spill blocks and user/group-used objects — read through the checksum-verifying reader.
import { Errno, KernelError } from '@osv-ts/kernel-api';
import { BLKPTR_SIZE, decodeBlkptr, isHole, type Blkptr } from '../format/blkptr.js';
import { decodeDnode, DNODE_SIZE, type Dnode } from '../format/dnode.js';
import { ObjectSet } from '../dmu/objset.js';
import { Dsl } from '../dsl/dsl.js';
import type { Pool } from './pool.js';

export interface TraverseStats {
  blocks: number;
  bytesPhysical: number;
  objsets: number;
  objects: number;
  /** Blocks per compression id. */
  byCompress: Map<number, number>;
  /** Blocks per checksum id. */
  byChecksum: Map<number, number>;
  gangBlocks: number;
  embeddedBlocks: number;
}

export interface TraverseOptions {
  /** Called for every non-hole blkptr, after it verified. */
  visit?: (bp: Blkptr, objsetName: string) => void;
}

const DMU_OT_DNODE = 10;

export function traversePool(pool: Pool, opts: TraverseOptions = {}): TraverseStats {
  const stats: TraverseStats = {
    blocks: 0,
    bytesPhysical: 0,
    objsets: 0,
    objects: 0,
    byCompress: new Map(),
    byChecksum: new Map(),
    gangBlocks: 0,
    embeddedBlocks: 0,
  };
  const seen = new Set<string>();

  const visitBp = (bp: Blkptr, name: string, dnodeBlock: boolean): void => {
    if (isHole(bp)) return;
    const d0 = bp.dva[0];
    const key = bp.embedded ? '' : `${d0.vdev}:${d0.offset}:${bp.birth}`;
    // Snapshots share blocks with their head: verify each block once.
    if (key !== '' && seen.has(key)) return;
    if (key !== '') seen.add(key);
    const data = bp.embedded ? pool.reader.read(bp) : pool.reader.read(bp);
    stats.blocks++;
    stats.bytesPhysical += bp.psize;
    stats.byCompress.set(bp.compress, (stats.byCompress.get(bp.compress) ?? 0) + 1);
    stats.byChecksum.set(bp.checksumType, (stats.byChecksum.get(bp.checksumType) ?? 0) + 1);
    if (bp.dva.some((d) => d.gang)) stats.gangBlocks++;
    if (bp.embedded) stats.embeddedBlocks++;
    opts.visit?.(bp, name);
    if (bp.level > 0) {
      for (let off = 0; off + BLKPTR_SIZE <= data.length; off += BLKPTR_SIZE) {
        const child = decodeBlkptr(data, off, bp.littleEndian);
        if (!isHole(child) && child.level !== bp.level - 1) {
          throw new KernelError(Errno.EIO, `${name}: child level ${child.level} under level ${bp.level}`);
        }
        visitBp(child, name, dnodeBlock);
      }
    } else if (dnodeBlock) {
      for (let off = 0; off + DNODE_SIZE <= data.length; off += DNODE_SIZE) {
        if (data[off] === 0) continue;
        const dn = decodeDnode(data, off, bp.littleEndian);
        stats.objects++;
        visitDnode(dn, name);
        off += dn.extraSlots * DNODE_SIZE;
      }
    }
  };

  const visitDnode = (dn: Dnode, name: string): void => {
    for (const bp of dn.blkptr) visitBp(bp, name, dn.type === DMU_OT_DNODE);
    if (dn.spill) visitBp(dn.spill, name, false);
  };

  const visitObjset = (bp: Blkptr, name: string): void => {
    if (isHole(bp)) return;
    visitBp(bp, name, false);
    const os = new ObjectSet(pool.reader, bp);
    stats.objsets++;
    visitDnode(os.metaDnode, name);
    if (os.phys.userUsed && os.phys.userUsed.type !== 0) visitDnode(os.phys.userUsed, name);
    if (os.phys.groupUsed && os.phys.groupUsed.type !== 0) visitDnode(os.phys.groupUsed, name);
  };

  visitObjset(pool.uberblock.rootbp, '$MOS');
  const dsl = new Dsl(pool);
  for (const ds of dsl.list()) visitObjset(ds.phys.bp, ds.name);
  // Hidden datasets ($ORIGIN and clones' origins are reached via their own directories).
  return stats;
}
