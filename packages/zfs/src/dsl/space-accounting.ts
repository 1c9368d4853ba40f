// DSL space accounting for blocks born and killed in a txg (dsl_dataset_block_born/kill,
// dsl_dir_diduse_space, dsl_dir_transfer_space; reference §8.2–§8.4, §10.3). Works on the
// DSL bonuses held in the MOS writer, so the changes are synced with the MOS.
import { Errno, KernelError } from '@osv-ts/kernel-api';
import type { Dva } from '../format/blkptr.js';
import { putU64, viewOf } from '../format/bytes.js';
import { isMetadataType } from '../write/block-writer.js';
import type { ObjsetWriter } from '../dmu/objset-writer.js';

/** dd_used_breakdown buckets. */
export const DD_USED = { HEAD: 0, SNAP: 1, CHILD: 2 } as const;
const DD_FLAG_USED_BREAKDOWN = 1;

export interface SpaceDelta {
  used: number;
  compressed: number;
  uncompressed: number;
}

/** ASIZE of all DVAs, PSIZE, and BP_GET_UCSIZE (LSIZE for level-0 data, else PSIZE). */
export function blockSpace(bp: {
  dva: readonly Dva[];
  psize: number;
  lsize: number;
  level: number;
  type: number;
}): SpaceDelta {
  const used = bp.dva.reduce((a, d) => a + d.asize, 0);
  return { used, compressed: bp.psize, uncompressed: bp.level > 0 || isMetadataType(bp.type) ? bp.psize : bp.lsize };
}

function add(bonus: Uint8Array, offset: number, delta: number, what: string): void {
  const v = viewOf(bonus);
  const now = BigInt.asIntN(64, v.getBigUint64(offset, true)) + BigInt(delta);
  if (now < 0n) throw new KernelError(Errno.EIO, `${what} would go negative`);
  putU64(bonus, offset, now);
}

export function u64At(bonus: Uint8Array, offset: number): number {
  return Number(viewOf(bonus).getBigUint64(offset, true));
}

export class SpaceAccounting {
  constructor(private readonly mos: ObjsetWriter) {}

  /** dsl_dir_diduse_space: the dir and every ancestor (as CHILD) change by `d`. */
  dirDidUse(dirObj: number, bucket: number, d: SpaceDelta): void {
    if (d.used === 0 && d.compressed === 0 && d.uncompressed === 0) return;
    const b = this.mos.bonus(dirObj).slice();
    add(b, 40, d.used, `dd_used_bytes of ${dirObj}`);
    add(b, 48, d.compressed, `dd_compressed_bytes of ${dirObj}`);
    add(b, 56, d.uncompressed, `dd_uncompressed_bytes of ${dirObj}`);
    if (b.length >= 144 && (u64At(b, 96) & DD_FLAG_USED_BREAKDOWN) !== 0)
      add(b, 104 + bucket * 8, d.used, `dd_used_breakdown of ${dirObj}`);
    this.mos.setBonus(dirObj, b);
    const parent = u64At(b, 16);
    if (parent !== 0) this.dirDidUse(parent, DD_USED.CHILD, d);
  }

  /** dsl_dir_transfer_space: moves bytes between breakdown buckets of one dir. */
  dirTransfer(dirObj: number, used: number, from: number, to: number): void {
    const b = this.mos.bonus(dirObj).slice();
    if (b.length < 144 || (u64At(b, 96) & DD_FLAG_USED_BREAKDOWN) === 0) return;
    add(b, 104 + from * 8, -used, `dd_used_breakdown of ${dirObj}`);
    add(b, 104 + to * 8, used, `dd_used_breakdown of ${dirObj}`);
    this.mos.setBonus(dirObj, b);
  }

  /** ds_used/compressed/uncompressed (and unique) of a dataset change by `sign * d`. */
  datasetDidUse(dsObj: number, d: SpaceDelta, sign: number, unique: boolean): void {
    const b = this.mos.bonus(dsObj).slice();
    add(b, 72, sign * d.used, `ds_used_bytes of ${dsObj}`);
    add(b, 80, sign * d.compressed, `ds_compressed_bytes of ${dsObj}`);
    add(b, 88, sign * d.uncompressed, `ds_uncompressed_bytes of ${dsObj}`);
    if (unique) add(b, 96, sign * d.used, `ds_unique_bytes of ${dsObj}`);
    this.mos.setBonus(dsObj, b);
  }

  addUnique(dsObj: number, used: number): void {
    const b = this.mos.bonus(dsObj).slice();
    add(b, 96, used, `ds_unique_bytes of ${dsObj}`);
    this.mos.setBonus(dsObj, b);
  }
}
