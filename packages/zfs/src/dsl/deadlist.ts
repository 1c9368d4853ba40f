// Appending to a v23 deadlist (bplist.c bplist_enqueue, reference §8.4): an array of blkptr_t
// in the BPLIST object's data, with bplist_phys_t {entries, bytes, comp, uncomp} as its bonus.
// As bplist_enqueue does, the stored copy has blk_fill zeroed and (not being dedup) no checksum.
import { BLKPTR_SIZE } from '../format/blkptr.js';
import { putU64 } from '../format/bytes.js';
import type { ObjsetWriter } from '../dmu/objset-writer.js';
import { u64At, type SpaceDelta } from './space-accounting.js';

export function deadlistAppend(mos: ObjsetWriter, obj: number, rawBp: Uint8Array, space: SpaceDelta): void {
  const bonus = mos.bonus(obj).slice();
  const entries = u64At(bonus, 0);
  const copy = rawBp.slice(0, BLKPTR_SIZE);
  copy.fill(0, 11 * 8, 12 * 8);
  copy.fill(0, 12 * 8, 16 * 8);
  mos.write(obj, entries * BLKPTR_SIZE, copy);
  putU64(bonus, 0, entries + 1);
  putU64(bonus, 8, u64At(bonus, 8) + space.used);
  if (bonus.length >= 32) {
    putU64(bonus, 16, u64At(bonus, 16) + space.compressed);
    putU64(bonus, 24, u64At(bonus, 24) + space.uncompressed);
  }
  mos.setBonus(obj, bonus);
}
