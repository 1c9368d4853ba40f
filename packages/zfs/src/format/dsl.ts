// DSL bonus layouts (reference §8.2, §8.3): dsl_dir_phys_t and dsl_dataset_phys_t.
import { formatError, u64, u64n } from './bytes.js';
import { decodeBlkptr, type Blkptr } from './blkptr.js';

export interface DslDirPhys {
  readonly creationTime: number;
  readonly headDatasetObj: number;
  readonly parentObj: number;
  readonly originObj: number;
  readonly childDirZapobj: number;
  readonly usedBytes: number;
  readonly compressedBytes: number;
  readonly uncompressedBytes: number;
  readonly quota: number;
  readonly reserved: number;
  readonly propsZapobj: number;
  readonly delegZapobj: number;
  readonly flags: number;
  readonly usedBreakdown: readonly number[];
}

export function decodeDslDir(bonus: Uint8Array, le: boolean): DslDirPhys {
  if (bonus.length < 104) throw formatError('dsl_dir_phys', 0, `bonus of ${bonus.length} bytes too small`);
  const f = (o: number, n: string): number => u64n(bonus, o, le, `dsl_dir_phys.${n}`);
  const breakdown: number[] = [];
  if (bonus.length >= 144) for (let i = 0; i < 5; i++) breakdown.push(f(104 + i * 8, 'dd_used_breakdown'));
  return {
    creationTime: f(0, 'dd_creation_time'),
    headDatasetObj: f(8, 'dd_head_dataset_obj'),
    parentObj: f(16, 'dd_parent_obj'),
    originObj: f(24, 'dd_origin_obj'),
    childDirZapobj: f(32, 'dd_child_dir_zapobj'),
    usedBytes: f(40, 'dd_used_bytes'),
    compressedBytes: f(48, 'dd_compressed_bytes'),
    uncompressedBytes: f(56, 'dd_uncompressed_bytes'),
    quota: f(64, 'dd_quota'),
    reserved: f(72, 'dd_reserved'),
    propsZapobj: f(80, 'dd_props_zapobj'),
    delegZapobj: f(88, 'dd_deleg_zapobj'),
    flags: f(96, 'dd_flags'),
    usedBreakdown: breakdown,
  };
}

export interface DslDatasetPhys {
  readonly dirObj: number;
  readonly prevSnapObj: number;
  readonly prevSnapTxg: number;
  readonly nextSnapObj: number;
  readonly snapnamesZapobj: number;
  readonly numChildren: number;
  readonly creationTime: number;
  readonly creationTxg: number;
  readonly deadlistObj: number;
  readonly usedBytes: number;
  readonly compressedBytes: number;
  readonly uncompressedBytes: number;
  readonly uniqueBytes: number;
  readonly fsidGuid: bigint;
  readonly guid: bigint;
  readonly flags: number;
  readonly bp: Blkptr;
  readonly nextClonesObj: number;
  readonly propsObj: number;
  readonly userrefsObj: number;
}

export const DS_FLAG_INCONSISTENT = 1;

export function decodeDslDataset(bonus: Uint8Array, le: boolean): DslDatasetPhys {
  if (bonus.length < 256) throw formatError('dsl_dataset_phys', 0, `bonus of ${bonus.length} bytes too small`);
  const f = (o: number, n: string): number => u64n(bonus, o, le, `dsl_dataset_phys.${n}`);
  const opt = (o: number, n: string): number => (bonus.length >= o + 8 ? f(o, n) : 0);
  return {
    dirObj: f(0, 'ds_dir_obj'),
    prevSnapObj: f(8, 'ds_prev_snap_obj'),
    prevSnapTxg: f(16, 'ds_prev_snap_txg'),
    nextSnapObj: f(24, 'ds_next_snap_obj'),
    snapnamesZapobj: f(32, 'ds_snapnames_zapobj'),
    numChildren: f(40, 'ds_num_children'),
    creationTime: f(48, 'ds_creation_time'),
    creationTxg: f(56, 'ds_creation_txg'),
    deadlistObj: f(64, 'ds_deadlist_obj'),
    usedBytes: f(72, 'ds_used_bytes'),
    compressedBytes: f(80, 'ds_compressed_bytes'),
    uncompressedBytes: f(88, 'ds_uncompressed_bytes'),
    uniqueBytes: f(96, 'ds_unique_bytes'),
    fsidGuid: u64(bonus, 104, le, 'dsl_dataset_phys.ds_fsid_guid'),
    guid: u64(bonus, 112, le, 'dsl_dataset_phys.ds_guid'),
    flags: f(120, 'ds_flags'),
    bp: decodeBlkptr(bonus, 128, le),
    nextClonesObj: opt(256, 'ds_next_clones_obj'),
    propsObj: opt(264, 'ds_props_obj'),
    userrefsObj: opt(272, 'ds_userrefs_obj'),
  };
}
