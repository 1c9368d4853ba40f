// An opened pool that accepts changes and commits them as transaction groups (spa_sync,
// reference §10). Changes accumulate in the dataset and MOS object-set writers; `sync()` writes
// txg N+1 copy-on-write: every dirty dataset's objset (DSL accounting and deadlists on the
// way), then the MOS in sync passes until its own allocations stop changing the space maps,
// then flush → uberblock slot txg % N in labels L0/L2 → flush → L1/L3 → flush. Nothing the
// newest uberblock references is ever overwritten, so a power cut at any point leaves the
// pool at txg N or N+1.
//
// Handles what zfs-fuse 0.7 writes: SPA versions 15–23, one top-level file or disk vdev,
// little-endian, no dedup. Anything else is refused when the pool is opened for writing.
import { ENOTSUP, Errno, KernelError, type BlockDevice, type Clock, type Entropy } from '@osv-ts/kernel-api';
import { encodeBlkptr, type Blkptr, type BlkptrFields } from '../format/blkptr.js';
import { ZIO_COMPRESS } from '../format/compress.js';
import { encodeUberblockSlot, labelOffset, labelPsize } from '../format/label.js';
import { ObjsetWriter, type ObjsetIo } from '../dmu/objset-writer.js';
import { Dsl } from '../dsl/dsl.js';
import { decodeDslDataset } from '../format/dsl.js';
import { ZapReader } from '../zap/zap-reader.js';
import { deadlistAppend } from '../dsl/deadlist.js';
import { takeSnapshot } from '../dsl/snapshot.js';
import { blockSpace, DD_USED, SpaceAccounting, u64At } from '../dsl/space-accounting.js';
import { openPool, readDeviceLabels, type OpenPoolOptions, type Pool } from '../pool/pool.js';
import { BlockWriter, isMetadataType } from '../write/block-writer.js';
import { ZplWriter } from '../zpl/zpl-writer.js';
import { MetaslabAllocator } from './metaslab-allocator.js';
import { SpaceMaps } from './space-maps.js';

export const SPA_VERSION_WRITABLE_MIN = 15;
export const SPA_VERSION_WRITABLE_MAX = 23;
const MAX_SYNC_PASSES = 20;

export interface WritablePoolOptions extends OpenPoolOptions {
  clock: Clock;
  /** Salts of new ZAPs. */
  entropy: Entropy;
}

/** A dataset opened for writing: its objset writer plus what its kills need. */
export interface WritableDataset {
  readonly name: string;
  readonly datasetObj: number;
  readonly dirObj: number;
  readonly objset: ObjsetWriter;
  /** File-data compression (ZIO_COMPRESS id) from the `compression` property. */
  readonly compression: number;
}

export class WritablePool {
  readonly pool: Pool;
  readonly dsl: Dsl;
  readonly mos: ObjsetWriter;
  readonly allocator: MetaslabAllocator;
  private readonly device: BlockDevice;
  private readonly accounting: SpaceAccounting;
  private readonly datasets = new Map<string, WritableDataset>();
  private readonly zpls = new Map<string, ZplWriter>();
  private readonly spaceMaps: SpaceMaps;
  private readonly mosDirObj: number;
  private readonly ashift: number;
  private guidSum: bigint;
  /** Last synced txg. */
  txg: number;

  constructor(
    devices: readonly BlockDevice[],
    readonly options: WritablePoolOptions,
  ) {
    const refuseVersion = (version: number): void => {
      if (version < SPA_VERSION_WRITABLE_MIN || version > SPA_VERSION_WRITABLE_MAX) {
        throw new KernelError(
          ENOTSUP,
          `writing SPA version ${version} (osv-ts writes versions ${SPA_VERSION_WRITABLE_MIN}–${SPA_VERSION_WRITABLE_MAX}; open it read-only)`,
        );
      }
    };
    this.lastSyncNs = options.clock.monotonicNs();
    let pool: Pool;
    try {
      pool = openPool(devices, options);
    } catch (e) {
      // The labels name the version even when the pool could not be opened from these devices.
      for (const d of devices) for (const c of readDeviceLabels(d).configs) if (c) refuseVersion(c.num('version') ?? 0);
      throw e;
    }
    // Every label's config, as openPool read and verified them (reading them again costs a
    // SHA-256 of 4 × 112 KiB per device, which a ZFS root pays at boot).
    for (const d of pool.devices) for (const c of d.configs) if (c) refuseVersion(c.num('version') ?? 0);
    refuseVersion(pool.uberblock.version);
    if (devices.length !== 1)
      throw new KernelError(ENOTSUP, `writing pools of ${devices.length} devices (one file or disk vdev only)`);
    this.device = devices[0]!;
    if (this.device.readOnly) throw new KernelError(Errno.EROFS, `${this.device.name} is read-only`);
    this.pool = pool;
    if (!pool.uberblock.rootbp.littleEndian) throw new KernelError(ENOTSUP, 'writing a big-endian pool');
    const tree = pool.config.list('vdev_tree');
    const children = pool.config.num('vdev_children') ?? 1;
    const type = tree?.string('type');
    if (!tree || children !== 1 || (type !== 'file' && type !== 'disk'))
      throw new KernelError(
        ENOTSUP,
        `writing a pool whose top-level vdev is ${type ?? 'missing'} (${children} top-level vdevs); only one file or disk vdev`,
      );
    for (const e of pool.objectDirectory.entries()) {
      if (e.name.startsWith('DDT-')) throw new KernelError(ENOTSUP, 'writing a pool with dedup tables');
    }
    this.ashift = tree.num('ashift') ?? 9;
    const msShift = tree.num('metaslab_shift');
    const asize = tree.num('asize');
    const msArray = tree.num('metaslab_array');
    if (msShift === undefined || asize === undefined || msArray === undefined)
      throw new KernelError(Errno.EIO, 'vdev config lacks metaslab_shift/asize/metaslab_array');
    this.txg = pool.uberblock.txg;
    this.guidSum = pool.uberblock.guidSum;
    this.mos = new ObjsetWriter(pool.reader, pool.uberblock.rootbp, { userAccounting: false });
    this.accounting = new SpaceAccounting(this.mos);
    this.dsl = new Dsl(pool);
    const mosDir = ZapReader.open(pool.mos, this.dsl.dir(this.dsl.rootDirObj()).childDirZapobj).lookupNumber('$MOS');
    if (mosDir === undefined) throw new KernelError(Errno.EIO, 'root DSL dir has no $MOS');
    this.mosDirObj = mosDir;
    this.spaceMaps = new SpaceMaps(this.mos, msArray, msShift, this.ashift, Math.floor(asize / 2 ** msShift));
    this.allocator = new MetaslabAllocator(msShift, this.ashift, this.spaceMaps.load());
  }

  get name(): string {
    return this.pool.name;
  }

  /** True when there are changes that `sync()` would commit. */
  get dirty(): boolean {
    if (this.mos.isDirty) return true;
    for (const d of this.datasets.values()) if (d.objset.isDirty) return true;
    return false;
  }

  /** Bytes of uncommitted changes held in memory (zfs throttles writers on this). */
  get dirtyBytes(): number {
    let n = this.mos.dirtyBytes;
    for (const d of this.datasets.values()) n += d.objset.dirtyBytes;
    return n;
  }

  /**
   * Refuses (ENOSPC) a change that would add `bytes` when the pool could not sync it: what is
   * dirty, counted three times over (ditto copies, indirect and dnode blocks, the MOS), plus
   * the new bytes must fit the allocatable space less a reserve of 1/32 of the pool (zfs keeps
   * a similar slop so that frees, which need space to sync, stay possible).
   */
  reserve(bytes: number): void {
    const a = this.allocator;
    const reserve = Math.max(a.capacityBytes / 32, 4 << 20);
    if (3 * (this.dirtyBytes + bytes) + reserve > a.freeBytes)
      throw new KernelError(Errno.ENOSPC, `pool ${this.name} is full`);
  }

  /** Opens a file system (`pool` or `pool/child`) for writing. */
  dataset(name: string): WritableDataset {
    const have = this.datasets.get(name);
    if (have) return have;
    if (name.includes('@')) throw new KernelError(Errno.EROFS, `snapshot ${name} is read-only`);
    const info = this.dsl.find(name);
    // The bonus as this session last synced it (the read-side Dsl sees the pool as opened).
    const bp = decodeDslDataset(this.mos.bonus(info.datasetObj), true).bp;
    const objset = new ObjsetWriter(this.pool.reader, bp, { userAccounting: true });
    if (objset.committed.phys.type !== 2) throw new KernelError(ENOTSUP, `${name} is not a ZPL file system`);
    const ds: WritableDataset = {
      name,
      datasetObj: info.datasetObj,
      dirObj: info.dirObj,
      objset,
      compression: this.compressionOf(info.dirObj),
    };
    this.datasets.set(name, ds);
    return ds;
  }

  /** The ZPL of a file system (default: the pool's root file system), for reading and writing. */
  filesystem(name = this.name): ZplWriter {
    let z = this.zpls.get(name);
    if (!z) {
      z = new ZplWriter(this.dataset(name).objset, {
        clock: this.options.clock,
        entropy: this.options.entropy,
        openTxg: () => this.txg + 1,
        reserve: (n) => this.reserve(n),
      });
      this.zpls.set(name, z);
    }
    return z;
  }

  /**
   * `zfs snapshot pool[/fs]@name`: commits pending changes, then takes the snapshot in a txg of
   * its own (as zfs waits for the open txg before a snapshot). Returns the snapshot's txg.
   */
  snapshot(fullName: string): number {
    const [fs, name] = fullName.split('@') as [string, string | undefined];
    if (name === undefined || name === '') throw new KernelError(Errno.EINVAL, `${fullName} is not a snapshot name`);
    const info = this.dsl.find(fs);
    this.sync();
    const b = new Uint8Array(8);
    takeSnapshot(this.mos, {
      headObj: info.datasetObj,
      name,
      txg: this.txg + 1,
      nowSec: Number(this.options.clock.realtimeNs() / 1_000_000_000n),
      random64: () => {
        this.options.entropy.fill(b);
        return new DataView(b.buffer).getBigUint64(0, true) | 1n;
      },
    });
    return this.sync();
  }

  /** The effective `compression` property: set on the dir or inherited (on → lzjb). */
  private compressionOf(dirObj: number): number {
    for (let dir = dirObj; dir !== 0; dir = this.dsl.dir(dir).parentObj) {
      const v = this.dsl.properties(dir).get('compression');
      if (typeof v === 'bigint') return v === 1n ? ZIO_COMPRESS.LZJB : Number(v);
    }
    return ZIO_COMPRESS.OFF;
  }

  private io(objsetKind: 'mos' | WritableDataset, pass: number): ObjsetIo {
    const txg = this.txg + 1;
    const bw = new BlockWriter(this.device, this.allocator, txg);
    const arc = this.pool.reader.arc;
    const encode = (bp: BlkptrFields): Uint8Array => {
      const raw = new Uint8Array(128);
      encodeBlkptr(raw, 0, bp);
      return raw;
    };
    const isMos = objsetKind === 'mos';
    return {
      txg,
      encode,
      write: (data, o) => {
        const meta = o.level > 0 || isMetadataType(o.type);
        const copies = isMos ? 3 : meta ? 2 : 1;
        // Later MOS passes store blocks uncompressed so their sizes, and so the space they
        // take, stop changing (zfs_sync_pass_dont_compress).
        const compress = isMos
          ? pass > 1
            ? ZIO_COMPRESS.OFF
            : ZIO_COMPRESS.LZJB
          : meta
            ? ZIO_COMPRESS.LZJB
            : objsetKind.compression;
        const bp = bw.write(data, { type: o.type, level: o.level, copies, compress, fill: o.fill });
        arc.set(`${bp.dva[0]!.vdev}:${bp.dva[0]!.offset}:${txg}`, data);
        const space = blockSpace(bp);
        if (isMos) this.mosDelta = addDelta(this.mosDelta, space, 1);
        else {
          this.accounting.datasetDidUse(objsetKind.datasetObj, space, 1, true);
          this.accounting.dirDidUse(objsetKind.dirObj, DD_USED.HEAD, space);
        }
        return bp;
      },
      kill: (bp) => {
        const space = blockSpace(bp);
        if (isMos) {
          this.freeBlock(bp);
          this.mosDelta = addDelta(this.mosDelta, space, -1);
          return;
        }
        const ds = objsetKind;
        const phys = this.mos.bonus(ds.datasetObj);
        const prevSnapObj = u64At(phys, 8);
        const prevSnapTxg = u64At(phys, 16);
        if (bp.birth > prevSnapTxg) {
          // dsl_dataset_block_kill: born after the last snapshot → nobody else has it.
          this.freeBlock(bp);
          this.accounting.datasetDidUse(ds.datasetObj, space, -1, true);
          this.accounting.dirDidUse(ds.dirObj, DD_USED.HEAD, {
            used: -space.used,
            compressed: -space.compressed,
            uncompressed: -space.uncompressed,
          });
        } else {
          // Still in a snapshot: onto the head's deadlist; the snapshot now holds it alone.
          const raw = encode(toFields(bp));
          deadlistAppend(this.mos, u64At(phys, 64), raw, space);
          if (prevSnapObj !== 0 && bp.birth > u64At(this.mos.bonus(prevSnapObj), 16))
            this.accounting.addUnique(prevSnapObj, space.used);
          this.accounting.datasetDidUse(ds.datasetObj, space, -1, false);
          this.accounting.dirTransfer(ds.dirObj, space.used, DD_USED.HEAD, DD_USED.SNAP);
        }
      },
    };
  }

  private mosDelta = { used: 0, compressed: 0, uncompressed: 0 };

  private freeBlock(bp: Blkptr): void {
    for (const d of bp.dva) {
      if (d.asize === 0) continue;
      if (d.vdev !== 0 || d.gang)
        throw new KernelError(ENOTSUP, `freeing a ${d.gang ? 'gang' : `vdev ${d.vdev}`} block`);
      this.allocator.freeExtent(d.offset, d.asize, bp.birth);
    }
  }

  /**
   * Commits every change as the next txg and returns it (the current txg when nothing was
   * dirty). On return the new uberblock is on stable storage.
   */
  /**
   * Set when a commit is due but could not run where it was noticed (the txg timeout fired while
   * an operation was half done): the next operation boundary commits (ZfsVfs).
   */
  syncDue = false;
  /** Bytes the file system wrote since the last commit, a cheap stand-in for dirtyBytes. */
  writtenSinceSync = 0;
  /** zfs_txg_timeout: the most a change waits to be committed (5 s, as zfs). */
  txgTimeoutNs = 5_000_000_000;
  /** When the last commit ran (monotonic); set at open. */
  lastSyncNs: number;

  /** A commit is due: the timeout passed since the last one, with changes waiting. */
  get txgTimedOut(): boolean {
    return this.writtenSinceSync > 0 && this.options.clock.monotonicNs() - this.lastSyncNs >= this.txgTimeoutNs;
  }

  sync(): number {
    this.syncDue = false;
    this.writtenSinceSync = 0;
    this.lastSyncNs = this.options.clock.monotonicNs();
    for (const z of this.zpls.values()) z.flush();
    if (!this.dirty) return this.txg;
    const txg = this.txg + 1;
    this.allocator.beginTxg(txg);
    for (const ds of this.datasets.values()) {
      if (!ds.objset.isDirty) continue;
      const bp = ds.objset.sync(this.io(ds, 1));
      const b = this.mos.bonus(ds.datasetObj).slice();
      encodeBlkptr(b, 128, bp);
      this.mos.setBonus(ds.datasetObj, b);
    }
    this.mosDelta = { used: 0, compressed: 0, uncompressed: 0 };
    this.spaceMaps.beginTxg();
    let rootbp: BlkptrFields | null = null;
    for (let pass = 1; ; pass++) {
      if (pass > MAX_SYNC_PASSES)
        throw new KernelError(Errno.EIO, `txg ${txg} did not converge in ${MAX_SYNC_PASSES} sync passes`);
      const d = this.mosDelta;
      this.mosDelta = { used: 0, compressed: 0, uncompressed: 0 };
      this.accounting.dirDidUse(this.mosDirObj, DD_USED.HEAD, d);
      this.spaceMaps.append(txg, this.allocator);
      if (!this.mos.isDirty) break;
      rootbp = this.mos.sync(this.io('mos', pass));
    }
    if (rootbp === null) throw new KernelError(Errno.EIO, `txg ${txg}: MOS was not written`);
    this.writeUberblock(txg, rootbp);
    this.txg = txg;
    return txg;
  }

  /** vdev_config_sync: flush, uberblock into L0/L2, flush, into L1/L3, flush. */
  private writeUberblock(txg: number, rootbp: BlkptrFields): void {
    const psize = labelPsize(this.device.sizeBytes);
    const nowSec = Number(this.options.clock.realtimeNs() / 1_000_000_000n);
    const ub = { version: this.pool.uberblock.version, txg, guidSum: this.guidSum, timestamp: nowSec, rootbp };
    this.device.flush();
    for (const pair of [
      [0, 2],
      [1, 3],
    ]) {
      for (const l of pair) {
        const at = labelOffset(l, psize);
        const slot = encodeUberblockSlot(ub, at, this.ashift);
        this.device.write(at + slot.offsetInLabel, slot.bytes);
      }
      this.device.flush();
    }
  }
}

function addDelta(
  a: { used: number; compressed: number; uncompressed: number },
  d: { used: number; compressed: number; uncompressed: number },
  sign: number,
): { used: number; compressed: number; uncompressed: number } {
  return {
    used: a.used + sign * d.used,
    compressed: a.compressed + sign * d.compressed,
    uncompressed: a.uncompressed + sign * d.uncompressed,
  };
}

function toFields(bp: Blkptr): BlkptrFields {
  return {
    dva: bp.dva,
    lsize: bp.lsize,
    psize: bp.psize,
    compress: bp.compress,
    checksumType: bp.checksumType,
    type: bp.type,
    level: bp.level,
    birth: bp.birth,
    fill: bp.fill,
    checksum: bp.checksum,
  };
}
