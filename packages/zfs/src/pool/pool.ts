// Opening a pool (spa_load, read side): read every label of every device, collect the config
// and all valid uberblocks, pick the newest uberblock whose MOS reads with a good checksum
// (falling back to older ones, as `zpool import -F` would), then check versions and features.
import { Errno, FormatError, KernelError, type BlockDevice } from '@osv-ts/kernel-api';
import {
  decodeLabelConfig,
  decodeUberblockRing,
  LABEL_COUNT,
  LABEL_SIZE,
  labelOffset,
  labelPsize,
  type LabelUberblock,
} from '../format/label.js';
import type { NvList } from '../format/nvlist.js';
import { compareUberblocks } from '../format/uberblock.js';
import { ObjectSet } from '../dmu/objset.js';
import { ZapReader } from '../zap/zap-reader.js';
import { Arc } from './arc.js';
import { BlockReader } from './block-reader.js';
import { buildVdev, UnsupportedError, type Vdev } from './vdev.js';

export const SPA_VERSION_MAX_LEGACY = 28;
export const SPA_VERSION_FEATURES = 5000;

/** Read-incompatible features this reader implements (reference §11). */
export const SUPPORTED_READ_FEATURES: ReadonlySet<string> = new Set([
  'com.delphix:hole_birth',
  'com.delphix:extensible_dataset',
  'org.illumos:lz4_compress',
  'com.delphix:embedded_data',
  'org.open-zfs:large_blocks',
  'org.zfsonlinux:large_dnode',
]);

export interface DeviceLabels {
  readonly device: BlockDevice;
  readonly configs: (NvList | null)[];
  readonly uberblocks: LabelUberblock[];
}

export interface OpenPoolOptions {
  /** ARC memory bound in bytes (default 64 MiB). */
  arcBytes?: number;
  /** Use the newest valid uberblock with txg ≤ this (rewind). */
  maxTxg?: number;
  /** Skip block checksum verification (forensics and parser fuzzing only). Default true. */
  verifyChecksums?: boolean;
}

export function readDeviceLabels(device: BlockDevice): DeviceLabels {
  const psize = labelPsize(device.sizeBytes);
  const configs: (NvList | null)[] = [];
  const uberblocks: LabelUberblock[] = [];
  if (psize < LABEL_COUNT * LABEL_SIZE) throw new KernelError(Errno.EINVAL, `${device.name}: too small for ZFS labels`);
  let ashift: number | undefined;
  const raw: Uint8Array[] = [];
  for (let l = 0; l < LABEL_COUNT; l++) {
    const buf = new Uint8Array(LABEL_SIZE);
    device.read(labelOffset(l, psize), buf);
    raw.push(buf);
    let cfg: NvList | null = null;
    try {
      cfg = decodeLabelConfig(buf, labelOffset(l, psize));
    } catch (e) {
      if (!(e instanceof FormatError)) throw e;
    }
    configs.push(cfg);
    ashift ??= cfg?.list('vdev_tree')?.num('ashift');
  }
  for (let l = 0; l < LABEL_COUNT; l++) {
    // Without a readable config the slot size is unknown: try every plausible ashift; the
    // embedded checksum's verifier rejects slots read at the wrong size.
    const shifts = ashift !== undefined ? [ashift] : [9, 10, 11, 12, 13];
    for (const s of shifts) uberblocks.push(...decodeUberblockRing(raw[l]!, l, labelOffset(l, psize), s));
  }
  return { device, configs, uberblocks };
}

export class Pool {
  readonly name: string;
  readonly guid: bigint;
  readonly version: number;
  readonly mos: ObjectSet;
  readonly reader: BlockReader;
  readonly objectDirectory: ZapReader;
  /** Features (guid → refcount) from the MOS features_for_read ZAP (v5000). */
  readonly readFeatures: ReadonlyMap<string, number>;

  constructor(
    readonly config: NvList,
    readonly vdevs: ReadonlyMap<number, Vdev>,
    readonly uberblock: LabelUberblock,
    readonly devices: readonly DeviceLabels[],
    arc: Arc,
    verifyChecksums = true,
  ) {
    this.name = config.string('name') ?? '';
    this.guid = config.u64('pool_guid') ?? 0n;
    this.version = uberblock.version;
    this.reader = new BlockReader(vdevs, arc);
    this.reader.verifyChecksums = verifyChecksums;
    this.mos = new ObjectSet(this.reader, uberblock.rootbp);
    this.objectDirectory = ZapReader.open(this.mos, 1);
    const features = new Map<string, number>();
    const ffr = this.objectDirectory.lookupNumber('features_for_read');
    if (ffr !== undefined)
      for (const e of ZapReader.open(this.mos, ffr).entries()) features.set(e.name, Number(e.values[0] ?? 0n));
    this.readFeatures = features;
  }

  /** MOS object-directory entry as a number. */
  directoryEntry(name: string): number | undefined {
    return this.objectDirectory.lookupNumber(name);
  }
}

/**
 * Opens a pool from its leaf devices (read-only). Throws KernelError(ENOTSUP) naming any
 * unsupported vdev type, version or active read feature.
 */
export function openPool(devices: readonly BlockDevice[], opts: OpenPoolOptions = {}): Pool {
  if (devices.length === 0) throw new KernelError(Errno.EINVAL, 'no devices');
  const labels = devices.map(readDeviceLabels);
  const byGuid = new Map<bigint, BlockDevice>();
  let poolGuid: bigint | undefined;
  let bestConfig: NvList | undefined;
  const topTrees = new Map<number, NvList>();
  for (const dl of labels) {
    const cfgs = dl.configs.filter((c): c is NvList => c !== null);
    if (cfgs.length === 0) continue;
    const cfg = cfgs.reduce((a, b) => ((b.num('txg') ?? 0) > (a.num('txg') ?? 0) ? b : a));
    const pg = cfg.u64('pool_guid');
    if (poolGuid === undefined) poolGuid = pg;
    else if (pg !== poolGuid) throw new KernelError(Errno.EINVAL, `${dl.device.name} belongs to another pool`);
    const guid = cfg.u64('guid');
    if (guid !== undefined) byGuid.set(guid, dl.device);
    const tree = cfg.list('vdev_tree');
    if (tree) topTrees.set(tree.num('id') ?? 0, tree);
    if (!bestConfig || (cfg.num('txg') ?? 0) > (bestConfig.num('txg') ?? 0)) bestConfig = cfg;
  }
  if (!bestConfig) throw new KernelError(Errno.EINVAL, 'no valid ZFS label on any device');
  const version = bestConfig.num('version') ?? 0;
  if (version > SPA_VERSION_MAX_LEGACY && version !== SPA_VERSION_FEATURES) {
    throw new UnsupportedError(`SPA version ${version}`);
  }
  const vdevs = new Map<number, Vdev>();
  for (const [id, tree] of topTrees) vdevs.set(id, buildVdev(tree, byGuid));

  const candidates = labels
    .flatMap((l) => l.uberblocks)
    .filter((u) => opts.maxTxg === undefined || u.txg <= opts.maxTxg)
    .sort((a, b) => -compareUberblocks(a, b));
  const arc = new Arc(opts.arcBytes ?? 64 * 1024 * 1024);
  let lastError: unknown = new KernelError(Errno.EIO, 'no valid uberblock');
  const tried = new Set<string>();
  for (const ub of candidates) {
    const key = `${ub.txg}:${ub.timestamp}`;
    if (tried.has(key)) continue;
    tried.add(key);
    if (ub.version > SPA_VERSION_MAX_LEGACY && ub.version !== SPA_VERSION_FEATURES) {
      lastError = new UnsupportedError(`SPA version ${ub.version}`);
      continue;
    }
    let pool: Pool;
    try {
      pool = new Pool(bestConfig, vdevs, ub, labels, arc, opts.verifyChecksums ?? true);
    } catch (e) {
      if (e instanceof UnsupportedError) throw e;
      if (!(e instanceof KernelError) && !(e instanceof FormatError)) throw e;
      lastError = e;
      arc.clear();
      continue;
    }
    for (const [feature, refcount] of pool.readFeatures) {
      if (refcount > 0 && !SUPPORTED_READ_FEATURES.has(feature))
        throw new UnsupportedError(`active read feature '${feature}'`);
    }
    return pool;
  }
  throw lastError instanceof KernelError ? lastError : new KernelError(Errno.EIO, String(lastError));
}
