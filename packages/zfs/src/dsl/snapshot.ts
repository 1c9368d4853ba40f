// Taking a snapshot of a head dataset (dsl_dataset_snapshot_sync, SPA v23, reference §8.3):
// a new DSL_DATASET object that takes over the head's block pointer, space figures and
// deadlist; the head starts a new empty deadlist, points back at the snapshot and has no unique
// bytes left. The previous snapshot's next pointer (or, for the first snapshot of a clone, the
// origin's next_clones entry) moves to the new snapshot. Refreservations are not handled.
import { Errno, KernelError } from '@osv-ts/kernel-api';
import { putU64 } from '../format/bytes.js';
import type { ObjsetWriter } from '../dmu/objset-writer.js';
import { updateZap } from '../zap/zap-update.js';
import { u64At } from './space-accounting.js';

const DMU_OT_BPLIST = 5;
const DMU_OT_BPLIST_HDR = 6;
const DMU_OT_DSL_DATASET = 16;
const BPLIST_PHYS_SIZE = 32;
const DEADLIST_BLOCKSIZE = 128 * 1024;

export interface SnapshotParams {
  headObj: number;
  name: string;
  txg: number;
  nowSec: number;
  random64: () => bigint;
}

/** Returns the new snapshot's dataset object. */
export function takeSnapshot(mos: ObjsetWriter, p: SnapshotParams): number {
  if (!/^[A-Za-z0-9_.:-]+$/.test(p.name) || p.name.length > 200)
    throw new KernelError(Errno.EINVAL, `snapshot name ${p.name}`);
  const head = mos.bonus(p.headObj).slice();
  const snapnames = u64At(head, 32);
  if (snapnames === 0) throw new KernelError(Errno.EINVAL, `dataset ${p.headObj} is not a head`);
  const snap = head.slice();
  const dsobj = mos.create(DMU_OT_DSL_DATASET, DMU_OT_DSL_DATASET, snap, 512);
  const set = (b: Uint8Array, off: number, v: number | bigint): void => putU64(b, off, v);
  set(snap, 24, p.headObj);
  set(snap, 32, 0);
  set(snap, 40, 1);
  set(snap, 48, p.nowSec);
  set(snap, 56, p.txg);
  set(snap, 104, p.random64() & 0x00ff_ffff_ffff_ffffn);
  set(snap, 112, p.random64());
  set(snap, 256, 0);
  set(snap, 264, 0);
  set(snap, 272, 0);
  mos.setBonus(dsobj, snap);
  const prev = u64At(head, 8);
  if (prev !== 0) {
    const pb = mos.bonus(prev).slice();
    if (u64At(pb, 24) === p.headObj) {
      set(pb, 24, dsobj);
      mos.setBonus(prev, pb);
    } else if (u64At(pb, 256) !== 0) {
      // The head is a clone of `prev`: its chain now starts at the new snapshot.
      updateZap(mos, u64At(pb, 256), (m) => {
        m.delete(p.headObj.toString(16));
        m.set(dsobj.toString(16), BigInt(dsobj));
      });
    }
  }
  const deadlist = mos.create(DMU_OT_BPLIST, DMU_OT_BPLIST_HDR, new Uint8Array(BPLIST_PHYS_SIZE), DEADLIST_BLOCKSIZE);
  set(head, 8, dsobj);
  set(head, 16, p.txg);
  set(head, 64, deadlist);
  set(head, 96, 0);
  mos.setBonus(p.headObj, head);
  updateZap(mos, snapnames, (m) => {
    if (m.has(p.name)) throw new KernelError(Errno.EEXIST, `snapshot ${p.name} exists`);
    m.set(p.name, BigInt(dsobj));
  });
  return dsobj;
}
