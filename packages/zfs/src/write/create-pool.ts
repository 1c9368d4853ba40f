// Creating a pool image from an in-memory file tree in a single txg (spa_create + dsl_pool_create
// + zfs_create_fs + the writes, done at once): a SPA v23 / ZPL v4 pool on one file or disk vdev
// that zfs-fuse 0.7 imports. The MOS mirrors a fresh zfs-fuse pool (reference §8, dump of a new
// pool): root DSL dir with `$MOS` and `$ORIGIN` children, `$ORIGIN@$ORIGIN` whose clone is the
// root dataset, per-dataset bplists, config, sync_bplist, metaslab array and space maps.
//
// The space maps must describe every allocation, including the blocks that hold the space maps
// and the MOS dnodes that point to them. Those "tail" blocks are stored uncompressed, so their
// sizes are known before their contents: they are reserved first, the reservation repeats until
// no new metaslab is touched, and only then are the space maps computed and the blocks filled.
import { Errno, KernelError, type BlockDevice, type Clock, type Entropy } from '@osv-ts/kernel-api';
import type { ImageDir, ImageNode } from '@osv-ts/vfs';
import { BLKPTR_SIZE, encodeBlkptr, type BlkptrFields, type Dva } from '../format/blkptr.js';
import { putU64 } from '../format/bytes.js';
import { ZIO_COMPRESS } from '../format/compress.js';
import { DNODE_FLAG_USED_BYTES, DNODE_SIZE } from '../format/dnode.js';
import {
  encodeLabelConfig,
  encodeUberblockSlot,
  LABEL_SIZE,
  labelOffset,
  labelPsize,
  VDEV_LABEL_END_SIZE,
  VDEV_LABEL_START_SIZE,
  VDEV_PHYS_OFFSET,
} from '../format/label.js';
import { encodeNvList, NvList } from '../format/nvlist.js';
import { OBJSET_PHYS_SIZE } from '../format/objset.js';
import {
  encodeDirent,
  encodeZnodePhys,
  S_IFDIR,
  S_IFLNK,
  S_IFREG,
  ZNODE_PHYS_SIZE,
  type Timespec,
} from '../format/znode.js';
import { Allocator } from './allocator.js';
import { BlockWriter, type SpaceAccount } from './block-writer.js';
import { buildZap, type ZapInput } from './zap-builder.js';
import { encodeDnode, fileBlockSize, INDBLKSHIFT, writeObject, type WrittenObject } from './object-writer.js';

export const SPA_VERSION = 23;
export const ZPL_VERSION = 4;

export interface CreatePoolOptions {
  name: string;
  clock: Clock;
  entropy: Entropy;
  /** 9 or 12 (zfs-fuse's default on Debian is 12). */
  ashift?: number;
  /** Compression of file data: a ZIO_COMPRESS id (off, lzjb, gzip-N, zle). Default off. */
  compression?: number;
  /** Path recorded in the label (what `zpool import -d` shows). */
  path?: string;
  hostname?: string;
  /** The txg everything is born in (default 4, as zfs-fuse's first sync of a new pool). */
  txg?: number;
  /** Snapshots of the root file system (`pool@name`), all taken at the creation txg. */
  snapshots?: string[];
  /** Child file systems (`pool/name`), each a clone of `$ORIGIN@$ORIGIN` as zfs-fuse makes them. */
  datasets?: ChildDataset[];
}

export interface ChildDataset {
  name: string;
  tree: ImageDir;
  /** File-data compression (a ZIO_COMPRESS id), stored as the dataset's `compression` property. */
  compression?: number;
  snapshots?: string[];
}

export interface CreatedPool {
  poolGuid: bigint;
  vdevGuid: bigint;
  txg: number;
  objects: number;
  usedBytes: number;
}

// DMU object types (reference §6.5).
const OT = {
  OBJECT_DIRECTORY: 1,
  OBJECT_ARRAY: 2,
  PACKED_NVLIST: 3,
  PACKED_NVLIST_SIZE: 4,
  BPLIST: 5,
  BPLIST_HDR: 6,
  SPACE_MAP_HEADER: 7,
  SPACE_MAP: 8,
  DNODE: 10,
  OBJSET: 11,
  DSL_DIR: 12,
  DSL_DIR_CHILD_MAP: 13,
  DSL_DS_SNAP_MAP: 14,
  DSL_PROPS: 15,
  DSL_DATASET: 16,
  ZNODE: 17,
  PLAIN_FILE_CONTENTS: 19,
  DIRECTORY_CONTENTS: 20,
  MASTER_NODE: 21,
  UNLINKED_SET: 22,
  NEXT_CLONES: 37,
} as const;

const ZNODE_FLAGS = 0x0000040800000004n; // AV_MODIFIED | ARCHIVE | ACL_TRIVIAL (reference §9.2)
const ZNODE_FLAGS_SYMLINK = 0x0000040800000104n;
const SPACE_MAP_BLOCK = 4096;
const DNODE_BLOCK = 16384;
const MAX_BONUS = 320;

function nblkptrFor(bonuslen: number): number {
  return 1 + Math.floor((MAX_BONUS - bonuslen) / BLKPTR_SIZE);
}

function highbit(x: number): number {
  return x <= 0 ? 0 : Math.floor(Math.log2(x)) + 1;
}

function random64(entropy: Entropy): bigint {
  const b = new Uint8Array(8);
  for (;;) {
    entropy.fill(b);
    const v = new DataView(b.buffer).getBigUint64(0, true) & 0x7fff_ffff_ffff_ffffn;
    if (v !== 0n) return v;
  }
}

interface PendingObject {
  type: number;
  bonustype: number;
  bonus: Uint8Array;
  written: WrittenObject;
  flags: number;
}

const EMPTY: WrittenObject = { blkptr: [], nlevels: 1, maxblkid: 0, used: 0, datablkszsec: 1, fill: 0 };

function emptyObject(type: number, bonustype: number, bonus: Uint8Array, blockSize: number, flags = 0): PendingObject {
  return {
    type,
    bonustype,
    bonus,
    flags,
    written: {
      ...EMPTY,
      blkptr: new Array<BlkptrFields | null>(nblkptrFor(bonus.length)).fill(null),
      datablkszsec: blockSize / 512,
    },
  };
}

/** Writes a new pool holding `root` as its root file system onto `device`. */
export function createPool(device: BlockDevice, root: ImageDir, opts: CreatePoolOptions): CreatedPool {
  const T = opts.txg ?? 4;
  const ashift = opts.ashift ?? 12;
  if (ashift < 9 || ashift > 13) throw new KernelError(Errno.EINVAL, `ashift ${ashift}`);
  const psize = labelPsize(device.sizeBytes);
  const asize = psize - VDEV_LABEL_START_SIZE - VDEV_LABEL_END_SIZE;
  if (asize < 16 * 1024 * 1024)
    throw new KernelError(Errno.EINVAL, 'device too small for a pool (minimum about 21 MiB)');
  const msShift = Math.max(highbit(Math.floor(asize / 200)), 17);
  const alloc = new Allocator(asize, msShift, ashift);
  const bw = new BlockWriter(device, alloc, T);
  const nowNs = opts.clock.realtimeNs();
  const now: Timespec = { sec: Number(nowNs / 1_000_000_000n), nsec: Number(nowNs % 1_000_000_000n) };
  const poolGuid = random64(opts.entropy);
  const vdevGuid = random64(opts.entropy);
  const dataCompress = opts.compression ?? ZIO_COMPRESS.OFF;

  // ---- file systems (ZPL objsets) -----------------------------------------------------------
  const writeZpl = (
    tree: ImageDir,
    dataCompress: number,
  ): { bp: BlkptrFields; account: SpaceAccount; objects: number } => {
    const ds: SpaceAccount = { used: 0, compressed: 0, uncompressed: 0 };
    const zobjs: PendingObject[] = [];
    const setZ = (obj: number, o: PendingObject): void => {
      zobjs[obj] = o;
    };
    const metaOpts = { dataCopies: 2, metaCopies: 2, dataCompress: ZIO_COMPRESS.LZJB, metaCompress: ZIO_COMPRESS.LZJB };
    const zap = (
      entries: ZapInput[],
      type: number,
      bonustype = 0,
      bonus: Uint8Array = new Uint8Array(0),
    ): PendingObject => {
      const z = buildZap(entries, random64(opts.entropy) | 1n);
      const written = writeObject(
        bw,
        z.data,
        { type, blockSize: z.blockSize, nblkptr: nblkptrFor(bonus.length), ...metaOpts },
        ds,
      );
      return { type, bonustype, bonus, written, flags: DNODE_FLAG_USED_BYTES };
    };
    const znode = (mode: number, size: number, parent: number, links: number, extra?: Uint8Array): Uint8Array => {
      const b = new Uint8Array(ZNODE_PHYS_SIZE + (extra?.length ?? 0));
      encodeZnodePhys(b, 0, {
        atime: now,
        mtime: now,
        ctime: now,
        crtime: now,
        gen: T,
        mode,
        size,
        parent,
        links,
        xattr: 0,
        rdev: 0,
        flags: (mode & 0o170000) === S_IFLNK ? ZNODE_FLAGS_SYMLINK : ZNODE_FLAGS,
        uid: 0,
        gid: 0,
      });
      if (extra) b.set(extra, ZNODE_PHYS_SIZE);
      return b;
    };
    let nextObj = 4;
    const utf8 = new TextEncoder();
    const writeDir = (dir: ImageDir, obj: number, parent: number): void => {
      const entries: ZapInput[] = [];
      let subdirs = 0;
      const children: [ImageNode, number][] = [];
      for (const [name, node] of dir.children) {
        const child = nextObj++;
        const mode =
          node.kind === 'dir' ? S_IFDIR | 0o755 : node.kind === 'symlink' ? S_IFLNK | 0o777 : S_IFREG | 0o644;
        entries.push({ name, value: encodeDirent(child, mode) });
        if (node.kind === 'dir') subdirs++;
        children.push([node, child]);
      }
      setZ(
        obj,
        zap(entries, OT.DIRECTORY_CONTENTS, OT.ZNODE, znode(S_IFDIR | 0o755, entries.length + 2, parent, 2 + subdirs)),
      );
      for (const [node, child] of children) {
        if (node.kind === 'dir') writeDir(node, child, obj);
        else if (node.kind === 'symlink') {
          const target = utf8.encode(node.target);
          if (ZNODE_PHYS_SIZE + target.length <= MAX_BONUS) {
            setZ(
              child,
              emptyObject(
                OT.PLAIN_FILE_CONTENTS,
                OT.ZNODE,
                znode(S_IFLNK | 0o777, target.length, obj, 1, target),
                512,
                DNODE_FLAG_USED_BYTES,
              ),
            );
          } else {
            const written = writeObject(
              bw,
              target,
              {
                type: OT.PLAIN_FILE_CONTENTS,
                blockSize: fileBlockSize(target.length),
                nblkptr: 1,
                dataCopies: 1,
                metaCopies: 2,
                dataCompress,
                metaCompress: ZIO_COMPRESS.LZJB,
              },
              ds,
            );
            setZ(child, {
              type: OT.PLAIN_FILE_CONTENTS,
              bonustype: OT.ZNODE,
              bonus: znode(S_IFLNK | 0o777, target.length, obj, 1),
              written,
              flags: DNODE_FLAG_USED_BYTES,
            });
          }
        } else {
          const data = typeof node.data === 'function' ? node.data() : node.data;
          const bonus = znode(S_IFREG | 0o644, data.length, obj, 1);
          if (data.length === 0)
            setZ(child, emptyObject(OT.PLAIN_FILE_CONTENTS, OT.ZNODE, bonus, 512, DNODE_FLAG_USED_BYTES));
          else {
            const written = writeObject(
              bw,
              data,
              {
                type: OT.PLAIN_FILE_CONTENTS,
                blockSize: fileBlockSize(data.length),
                nblkptr: 1,
                dataCopies: 1,
                metaCopies: 2,
                dataCompress,
                metaCompress: ZIO_COMPRESS.LZJB,
              },
              ds,
            );
            setZ(child, {
              type: OT.PLAIN_FILE_CONTENTS,
              bonustype: OT.ZNODE,
              bonus,
              written,
              flags: DNODE_FLAG_USED_BYTES,
            });
          }
        }
      }
    };
    setZ(
      1,
      zap(
        [
          { name: 'VERSION', value: BigInt(ZPL_VERSION) },
          { name: 'ROOT', value: 3n },
          { name: 'DELETE_QUEUE', value: 2n },
        ],
        OT.MASTER_NODE,
      ),
    );
    setZ(2, zap([], OT.UNLINKED_SET));
    writeDir(tree, 3, 3);
    const dsMeta = writeMetaDnode(bw, zobjs, ds, 2, ZIO_COMPRESS.LZJB);
    return { bp: writeObjsetBlock(bw, dsMeta, 2, ds, 2), account: ds, objects: zobjs.length - 1 };
  };
  const rootFs = writeZpl(root, dataCompress);
  const ds = rootFs.account;
  const dsObjsetBp = rootFs.bp;
  const children = (opts.datasets ?? []).map((c) => {
    if (!/^[A-Za-z0-9_.:-]+$/.test(c.name)) throw new KernelError(Errno.EINVAL, `dataset name ${c.name}`);
    return { spec: c, fs: writeZpl(c.tree, c.compression ?? ZIO_COMPRESS.OFF) };
  });

  // ---- the MOS ------------------------------------------------------------------------------
  const mos: SpaceAccount = { used: 0, compressed: 0, uncompressed: 0 };
  const mosObjs: PendingObject[] = [];
  const mosOpts = { dataCopies: 3, metaCopies: 3, dataCompress: ZIO_COMPRESS.LZJB, metaCompress: ZIO_COMPRESS.LZJB };
  const mzap = (entries: ZapInput[], type: number): PendingObject => {
    const z = buildZap(entries, random64(opts.entropy) | 1n);
    return {
      type,
      bonustype: 0,
      bonus: new Uint8Array(0),
      flags: DNODE_FLAG_USED_BYTES,
      written: writeObject(bw, z.data, { type, blockSize: z.blockSize, nblkptr: 3, ...mosOpts }, mos),
    };
  };
  const O = {
    DIR: 1,
    ROOT_DIR: 2,
    ROOT_PROPS: 3,
    ROOT_CHILDMAP: 4,
    MOS_DIR: 5,
    MOS_PROPS: 6,
    MOS_CHILDMAP: 7,
    ORIGIN_DIR: 8,
    ORIGIN_PROPS: 9,
    ORIGIN_CHILDMAP: 10,
    ORIGIN_HEAD: 11,
    ORIGIN_SNAPMAP: 12,
    ORIGIN_HEAD_DL: 13,
    ORIGIN_SNAP: 14,
    ORIGIN_SNAP_DL: 15,
    ROOT_DS: 16,
    ROOT_SNAPMAP: 17,
    ROOT_DL: 18,
    NEXT_CLONES: 19,
    CONFIG: 20,
    SYNC_BPLIST: 21,
    MS_ARRAY: 22,
  } as const;
  let nextMos = 23;
  const newObj = (): number => nextMos++;
  interface DsPlan {
    head: number;
    snapmap: number;
    deadlist: number;
    snaps: { name: string; obj: number; deadlist: number }[];
  }
  const planSnaps = (names: string[] = []): DsPlan['snaps'] =>
    names.map((name) => {
      if (!/^[A-Za-z0-9_.:-]+$/.test(name)) throw new KernelError(Errno.EINVAL, `snapshot name ${name}`);
      return { name, obj: newObj(), deadlist: newObj() };
    });
  const rootPlan: DsPlan = {
    head: O.ROOT_DS,
    snapmap: O.ROOT_SNAPMAP,
    deadlist: O.ROOT_DL,
    snaps: planSnaps(opts.snapshots),
  };
  const childPlans = children.map((c) => ({
    ...c,
    dir: newObj(),
    props: newObj(),
    childmap: newObj(),
    plan: { head: newObj(), snapmap: newObj(), deadlist: newObj(), snaps: planSnaps(c.spec.snapshots) },
  }));
  const SM0 = nextMos;
  const msCount = alloc.metaslabCount;
  const smObj = (i: number): number => SM0 + i;

  const vdevTree = (): NvList =>
    new NvList()
      .setString('type', 'file')
      .setU64('id', 0)
      .setU64('guid', vdevGuid)
      .setString('path', opts.path ?? device.name)
      .setU64('metaslab_array', O.MS_ARRAY)
      .setU64('metaslab_shift', msShift)
      .setU64('ashift', ashift)
      .setU64('asize', asize)
      .setU64('is_log', 0)
      .setU64('create_txg', T);
  const configBase = (state: number): NvList =>
    new NvList()
      .setU64('version', SPA_VERSION)
      .setString('name', opts.name)
      .setU64('state', state)
      .setU64('txg', T)
      .setU64('pool_guid', poolGuid)
      .setU64('hostid', 0)
      .setString('hostname', opts.hostname ?? 'osv');
  const mosConfig = configBase(0)
    .setU64('vdev_children', 1)
    .setList(
      'vdev_tree',
      new NvList()
        .setString('type', 'root')
        .setU64('id', 0)
        .setU64('guid', poolGuid)
        .setU64('create_txg', T)
        .setListArray('children', [vdevTree()]),
    );
  const labelConfig = configBase(1)
    .setU64('top_guid', vdevGuid)
    .setU64('guid', vdevGuid)
    .setU64('vdev_children', 1)
    .setList('vdev_tree', vdevTree());

  mosObjs[O.DIR] = mzap(
    [
      { name: 'root_dataset', value: BigInt(O.ROOT_DIR) },
      { name: 'config', value: BigInt(O.CONFIG) },
      { name: 'sync_bplist', value: BigInt(O.SYNC_BPLIST) },
      { name: 'deflate', value: 1n },
    ],
    OT.OBJECT_DIRECTORY,
  );
  const props: ZapInput[] =
    dataCompress !== ZIO_COMPRESS.OFF ? [{ name: 'compression', value: BigInt(dataCompress) }] : [];
  mosObjs[O.ROOT_PROPS] = mzap(props, OT.DSL_PROPS);
  mosObjs[O.ROOT_CHILDMAP] = mzap(
    [
      { name: '$MOS', value: BigInt(O.MOS_DIR) },
      { name: '$ORIGIN', value: BigInt(O.ORIGIN_DIR) },
      ...childPlans.map((c) => ({ name: c.spec.name, value: BigInt(c.dir) })),
    ],
    OT.DSL_DIR_CHILD_MAP,
  );
  for (const c of childPlans) {
    const cc = c.spec.compression ?? ZIO_COMPRESS.OFF;
    mosObjs[c.props] = mzap(cc !== ZIO_COMPRESS.OFF ? [{ name: 'compression', value: BigInt(cc) }] : [], OT.DSL_PROPS);
    mosObjs[c.childmap] = mzap([], OT.DSL_DIR_CHILD_MAP);
  }
  for (const plan of [rootPlan, ...childPlans.map((c) => c.plan)]) {
    mosObjs[plan.snapmap] = mzap(
      plan.snaps.map((x) => ({ name: x.name, value: BigInt(x.obj) })),
      OT.DSL_DS_SNAP_MAP,
    );
    if (plan !== rootPlan)
      mosObjs[plan.deadlist] = emptyObject(OT.BPLIST, OT.BPLIST_HDR, new Uint8Array(32), 128 * 1024);
    for (const x of plan.snaps)
      mosObjs[x.deadlist] = emptyObject(OT.BPLIST, OT.BPLIST_HDR, new Uint8Array(32), 128 * 1024);
  }
  // The origin's next_clones ZAP names the first dataset of each clone's chain (its oldest
  // snapshot once it has one), keyed by the object number in hex (zap_add_int).
  const firstOf = (plan: DsPlan): number => plan.snaps[0]?.obj ?? plan.head;
  mosObjs[O.MOS_PROPS] = mzap([], OT.DSL_PROPS);
  mosObjs[O.MOS_CHILDMAP] = mzap([], OT.DSL_DIR_CHILD_MAP);
  mosObjs[O.ORIGIN_PROPS] = mzap([], OT.DSL_PROPS);
  mosObjs[O.ORIGIN_CHILDMAP] = mzap([], OT.DSL_DIR_CHILD_MAP);
  mosObjs[O.ORIGIN_SNAPMAP] = mzap([{ name: '$ORIGIN', value: BigInt(O.ORIGIN_SNAP) }], OT.DSL_DS_SNAP_MAP);
  mosObjs[O.NEXT_CLONES] = mzap(
    [rootPlan, ...childPlans.map((c) => c.plan)].map((plan) => ({
      name: firstOf(plan).toString(16),
      value: BigInt(firstOf(plan)),
    })),
    OT.NEXT_CLONES,
  );
  for (const o of [O.ORIGIN_HEAD_DL, O.ORIGIN_SNAP_DL, O.ROOT_DL, O.SYNC_BPLIST]) {
    mosObjs[o] = emptyObject(OT.BPLIST, OT.BPLIST_HDR, new Uint8Array(32), 128 * 1024);
  }
  const packed = encodeNvList(mosConfig);
  const sizeBonus = new Uint8Array(8);
  putU64(sizeBonus, 0, packed.length);
  mosObjs[O.CONFIG] = {
    type: OT.PACKED_NVLIST,
    bonustype: OT.PACKED_NVLIST_SIZE,
    bonus: sizeBonus,
    flags: DNODE_FLAG_USED_BYTES,
    written: writeObject(
      bw,
      packed,
      { type: OT.PACKED_NVLIST, blockSize: 16384, nblkptr: nblkptrFor(8), ...mosOpts },
      mos,
    ),
  };
  const msArray = new Uint8Array(msCount * 8);
  for (let i = 0; i < msCount; i++) putU64(msArray, i * 8, smObj(i));
  mosObjs[O.MS_ARRAY] = {
    type: OT.OBJECT_ARRAY,
    bonustype: 0,
    bonus: new Uint8Array(0),
    flags: DNODE_FLAG_USED_BYTES,
    written: writeObject(bw, msArray, { type: OT.OBJECT_ARRAY, blockSize: 16384, nblkptr: 3, ...mosOpts }, mos),
  };

  // ---- tail reservation: MOS dnode blocks, objset, space-map blocks ---------------------------
  const mosObjectCount = SM0 + msCount; // including slot 0
  const dnodeBlocks = Math.ceil((mosObjectCount * DNODE_SIZE) / DNODE_BLOCK);
  const epb = 2 ** (INDBLKSHIFT - 7);
  if (dnodeBlocks > 3 * epb) throw new KernelError(Errno.EINVAL, 'too many metaslabs for a two-level MOS');
  const tailAccount = (dvas: Dva[], psizeBytes: number): void => {
    mos.used += dvas.reduce((a, d) => a + d.asize, 0);
    mos.compressed += psizeBytes;
    mos.uncompressed += psizeBytes;
  };
  const dnodeDvas = Array.from({ length: dnodeBlocks }, () => bw.reserve(DNODE_BLOCK, 3));
  const indirectDvas = dnodeBlocks > 3 ? bw.reserve(2 ** INDBLKSHIFT, 3) : null;
  const objsetDvas = bw.reserve(OBJSET_PHYS_SIZE, 3);
  const smDvas = new Map<number, Dva[]>();
  for (;;) {
    const missing = [...alloc.touched()].filter((ms) => !smDvas.has(ms));
    if (missing.length === 0) break;
    for (const ms of missing) smDvas.set(ms, bw.reserve(SPACE_MAP_BLOCK, 3));
  }

  // ---- space maps -----------------------------------------------------------------------------
  for (let i = 0; i < msCount; i++) {
    const extents = alloc.extents.get(i);
    const bonus = new Uint8Array(24);
    putU64(bonus, 0, smObj(i));
    if (!extents) {
      mosObjs[smObj(i)] = emptyObject(OT.SPACE_MAP, OT.SPACE_MAP_HEADER, bonus, SPACE_MAP_BLOCK, DNODE_FLAG_USED_BYTES);
      continue;
    }
    // Reference §8.5: a debug entry (txg, sync pass 1, action alloc), then ALLOC runs of at
    // most 32768 units, offsets relative to the metaslab in units of 1 << ashift.
    const words: bigint[] = [(1n << 63n) | (1n << 50n) | BigInt(T)];
    let allocated = 0;
    for (const e of extents) {
      let off = (e.offset - i * alloc.metaslabSize) / 2 ** ashift;
      let run = e.size / 2 ** ashift;
      allocated += e.size;
      while (run > 0) {
        const n = Math.min(run, 32768);
        words.push((BigInt(off) << 16n) | BigInt(n - 1));
        off += n;
        run -= n;
      }
    }
    if (words.length * 8 > SPACE_MAP_BLOCK)
      throw new KernelError(Errno.EINVAL, `space map of metaslab ${i} exceeds one block`);
    const block = new Uint8Array(SPACE_MAP_BLOCK);
    words.forEach((w, k) => putU64(block, k * 8, w));
    putU64(bonus, 8, words.length * 8);
    putU64(bonus, 16, allocated);
    const dvas = smDvas.get(i)!;
    const bp = bw.writeReserved(dvas, block, { type: OT.SPACE_MAP, level: 0, fill: 1 });
    tailAccount(dvas, SPACE_MAP_BLOCK);
    mosObjs[smObj(i)] = {
      type: OT.SPACE_MAP,
      bonustype: OT.SPACE_MAP_HEADER,
      bonus,
      flags: DNODE_FLAG_USED_BYTES,
      written: {
        blkptr: [bp, null, null],
        nlevels: 1,
        maxblkid: 0,
        used: dvas.reduce((a, d) => a + d.asize, 0),
        datablkszsec: SPACE_MAP_BLOCK / 512,
        fill: 1,
      },
    };
  }
  for (const d of dnodeDvas) tailAccount(d, DNODE_BLOCK);
  if (indirectDvas) tailAccount(indirectDvas, 2 ** INDBLKSHIFT);
  tailAccount(objsetDvas, OBJSET_PHYS_SIZE);

  // ---- DSL bonuses (now that all space is known) ----------------------------------------------
  const dirBonus = (f: {
    head: number;
    parent: number;
    origin: number;
    child: number;
    props: number;
    used: SpaceAccount;
    headUsed: number;
    childUsed: number;
  }): Uint8Array => {
    const b = new Uint8Array(256);
    const p = (o: number, v: number | bigint): void => putU64(b, o, v);
    p(0, now.sec);
    p(8, f.head);
    p(16, f.parent);
    p(24, f.origin);
    p(32, f.child);
    p(40, f.used.used);
    p(48, f.used.compressed);
    p(56, f.used.uncompressed);
    p(80, f.props);
    p(96, 1);
    p(104, f.headUsed);
    p(120, f.childUsed);
    return b;
  };
  const zero: SpaceAccount = { used: 0, compressed: 0, uncompressed: 0 };
  const childSum = children.reduce(
    (a, c) => ({
      used: a.used + c.fs.account.used,
      compressed: a.compressed + c.fs.account.compressed,
      uncompressed: a.uncompressed + c.fs.account.uncompressed,
    }),
    { ...mos },
  );
  const total: SpaceAccount = {
    used: ds.used + childSum.used,
    compressed: ds.compressed + childSum.compressed,
    uncompressed: ds.uncompressed + childSum.uncompressed,
  };
  mosObjs[O.ROOT_DIR] = emptyObject(
    OT.DSL_DIR,
    OT.DSL_DIR,
    dirBonus({
      head: O.ROOT_DS,
      parent: 0,
      origin: O.ORIGIN_SNAP,
      child: O.ROOT_CHILDMAP,
      props: O.ROOT_PROPS,
      used: total,
      headUsed: ds.used,
      childUsed: childSum.used,
    }),
    512,
  );
  for (const c of childPlans) {
    mosObjs[c.dir] = emptyObject(
      OT.DSL_DIR,
      OT.DSL_DIR,
      dirBonus({
        head: c.plan.head,
        parent: O.ROOT_DIR,
        origin: O.ORIGIN_SNAP,
        child: c.childmap,
        props: c.props,
        used: c.fs.account,
        headUsed: c.fs.account.used,
        childUsed: 0,
      }),
      512,
    );
  }
  mosObjs[O.MOS_DIR] = emptyObject(
    OT.DSL_DIR,
    OT.DSL_DIR,
    dirBonus({
      head: 0,
      parent: O.ROOT_DIR,
      origin: 0,
      child: O.MOS_CHILDMAP,
      props: O.MOS_PROPS,
      used: mos,
      headUsed: mos.used,
      childUsed: 0,
    }),
    512,
  );
  mosObjs[O.ORIGIN_DIR] = emptyObject(
    OT.DSL_DIR,
    OT.DSL_DIR,
    dirBonus({
      head: O.ORIGIN_HEAD,
      parent: O.ROOT_DIR,
      origin: 0,
      child: O.ORIGIN_CHILDMAP,
      props: O.ORIGIN_PROPS,
      used: zero,
      headUsed: 0,
      childUsed: 0,
    }),
    512,
  );
  const dsBonus = (f: {
    dir: number;
    prev: number;
    prevTxg: number;
    next: number;
    snapnames: number;
    children: number;
    deadlist: number;
    used: SpaceAccount;
    bp: BlkptrFields | null;
    clones: number;
    unique?: number;
    txg?: number;
  }): Uint8Array => {
    const b = new Uint8Array(320);
    const p = (o: number, v: number | bigint): void => putU64(b, o, v);
    p(0, f.dir);
    p(8, f.prev);
    p(16, f.prevTxg);
    p(24, f.next);
    p(32, f.snapnames);
    p(40, f.children);
    p(48, now.sec);
    p(56, f.txg ?? 1);
    p(64, f.deadlist);
    p(72, f.used.used);
    p(80, f.used.compressed);
    p(88, f.used.uncompressed);
    p(96, f.unique ?? f.used.used);
    p(104, random64(opts.entropy) & 0xff_ffff_ffff_ffffn);
    p(112, random64(opts.entropy));
    p(120, 4); // DS_FLAG_UNIQUE_ACCURATE
    if (f.bp) encodeBlkptr(b, 128, f.bp);
    p(256, f.clones);
    return b;
  };
  mosObjs[O.ORIGIN_HEAD] = emptyObject(
    OT.DSL_DATASET,
    OT.DSL_DATASET,
    dsBonus({
      dir: O.ORIGIN_DIR,
      prev: O.ORIGIN_SNAP,
      prevTxg: 1,
      next: 0,
      snapnames: O.ORIGIN_SNAPMAP,
      children: 0,
      deadlist: O.ORIGIN_HEAD_DL,
      used: zero,
      bp: null,
      clones: 0,
    }),
    512,
  );
  mosObjs[O.ORIGIN_SNAP] = emptyObject(
    OT.DSL_DATASET,
    OT.DSL_DATASET,
    dsBonus({
      dir: O.ORIGIN_DIR,
      prev: 0,
      prevTxg: 0,
      next: O.ORIGIN_HEAD,
      snapnames: 0,
      children: 2 + childPlans.length,
      deadlist: O.ORIGIN_SNAP_DL,
      used: zero,
      bp: null,
      clones: O.NEXT_CLONES,
    }),
    512,
  );
  // A head and its snapshots, all sharing the head's blocks (born in txg T, snapshots taken at T).
  const writeChain = (dir: number, plan: DsPlan, account: SpaceAccount, bp: BlkptrFields): void => {
    let prev: number = O.ORIGIN_SNAP;
    let prevTxg = 1;
    plan.snaps.forEach((x, i) => {
      const next = plan.snaps[i + 1]?.obj ?? plan.head;
      // Snapshot i is taken in txg T+1+i: libzfs orders (and de-duplicates) snapshots by
      // creation txg, and a snapshot must not predate the blocks it holds (born in T).
      const txg = T + 1 + i;
      mosObjs[x.obj] = emptyObject(
        OT.DSL_DATASET,
        OT.DSL_DATASET,
        dsBonus({
          dir,
          prev,
          prevTxg,
          next,
          snapnames: 0,
          children: 1,
          deadlist: x.deadlist,
          used: account,
          bp,
          clones: 0,
          unique: 0,
          txg,
        }),
        512,
      );
      prev = x.obj;
      prevTxg = txg;
    });
    mosObjs[plan.head] = emptyObject(
      OT.DSL_DATASET,
      OT.DSL_DATASET,
      dsBonus({
        dir,
        prev,
        prevTxg,
        next: 0,
        snapnames: plan.snapmap,
        children: 0,
        deadlist: plan.deadlist,
        used: account,
        bp,
        clones: 0,
        unique: plan.snaps.length > 0 ? 0 : account.used,
      }),
      512,
    );
  };
  writeChain(O.ROOT_DIR, rootPlan, ds, dsObjsetBp);
  for (const c of childPlans) writeChain(c.dir, c.plan, c.fs.account, c.fs.bp);

  // ---- MOS dnode blocks, meta-dnode, objset ---------------------------------------------------
  const dnodeData = new Uint8Array(dnodeBlocks * DNODE_BLOCK);
  for (let obj = 1; obj < mosObjectCount; obj++) {
    const o = mosObjs[obj];
    if (!o) throw new Error(`MOS object ${obj} not built`);
    encodeDnode(dnodeData, obj * DNODE_SIZE, o);
  }
  const dnodeBps = dnodeDvas.map((dvas, k) => {
    const block = dnodeData.subarray(k * DNODE_BLOCK, (k + 1) * DNODE_BLOCK);
    let fill = 0;
    for (let i = 0; i < DNODE_BLOCK; i += DNODE_SIZE) if (block[i] !== 0) fill++;
    return { bp: bw.writeReserved(dvas, block, { type: OT.DNODE, level: 0, fill }), fill };
  });
  let metaUsed = dnodeDvas.flat().reduce((a, d) => a + d.asize, 0);
  let topBps: BlkptrFields[];
  let nlevels = 1;
  if (indirectDvas) {
    const ind = new Uint8Array(2 ** INDBLKSHIFT);
    dnodeBps.forEach((d, k) => encodeBlkptr(ind, k * BLKPTR_SIZE, d.bp));
    const fill = dnodeBps.reduce((a, d) => a + d.fill, 0);
    topBps = [bw.writeReserved(indirectDvas, ind, { type: OT.DNODE, level: 1, fill })];
    metaUsed += indirectDvas.reduce((a, d) => a + d.asize, 0);
    nlevels = 2;
  } else {
    topBps = dnodeBps.map((d) => d.bp);
  }
  const mosFill = dnodeBps.reduce((a, d) => a + d.fill, 0);
  const osBlock = new Uint8Array(OBJSET_PHYS_SIZE);
  encodeDnode(osBlock, 0, {
    type: OT.DNODE,
    bonustype: 0,
    bonus: new Uint8Array(0),
    flags: DNODE_FLAG_USED_BYTES,
    written: {
      blkptr: [...topBps, null, null, null].slice(0, 3),
      nlevels,
      maxblkid: dnodeBlocks - 1,
      used: metaUsed,
      datablkszsec: DNODE_BLOCK / 512,
      fill: mosFill,
    },
  });
  putU64(osBlock, 704, 1); // DMU_OST_META
  const rootbp = bw.writeReserved(objsetDvas, osBlock, { type: OT.OBJSET, level: 0, fill: mosFill });

  // ---- labels and uberblocks: flush data first, the uberblock is the commit point --------------
  device.flush();
  const guidSum = BigInt.asUintN(64, poolGuid + vdevGuid);
  const lastTxg = T + Math.max(0, rootPlan.snaps.length, ...childPlans.map((c) => c.plan.snaps.length));
  const ub = { version: SPA_VERSION, txg: lastTxg, guidSum, timestamp: now.sec, rootbp };
  for (const l of [0, 2, 1, 3]) {
    const at = labelOffset(l, psize);
    const label = new Uint8Array(LABEL_SIZE);
    label.set(encodeLabelConfig(labelConfig, at), VDEV_PHYS_OFFSET);
    const slot = encodeUberblockSlot(ub, at, ashift);
    label.set(slot.bytes, slot.offsetInLabel);
    device.write(at, label);
    if (l === 2) device.flush();
  }
  device.flush();
  return { poolGuid, vdevGuid, txg: lastTxg, objects: rootFs.objects, usedBytes: alloc.allocatedBytes };
}

/** Writes an objset's meta-dnode contents (all of its dnodes) and returns the meta-dnode. */
function writeMetaDnode(
  bw: BlockWriter,
  objs: PendingObject[],
  account: SpaceAccount,
  copies: number,
  compress: number,
): PendingObject {
  const data = new Uint8Array(Math.max(1, objs.length) * DNODE_SIZE);
  objs.forEach((o, obj) => {
    if (o) encodeDnode(data, obj * DNODE_SIZE, o);
  });
  const fillOf = (block: Uint8Array): number => {
    let n = 0;
    for (let i = 0; i < block.length; i += DNODE_SIZE) if (block[i] !== 0) n++;
    return n;
  };
  const written = writeObject(
    bw,
    data,
    {
      type: OT.DNODE,
      blockSize: DNODE_BLOCK,
      nblkptr: 3,
      dataCopies: copies,
      metaCopies: copies,
      dataCompress: compress,
      metaCompress: compress,
      fillOf,
    },
    account,
  );
  return { type: OT.DNODE, bonustype: 0, bonus: new Uint8Array(0), flags: DNODE_FLAG_USED_BYTES, written };
}

function writeObjsetBlock(
  bw: BlockWriter,
  meta: PendingObject,
  osType: number,
  account: SpaceAccount,
  copies: number,
): BlkptrFields {
  const block = new Uint8Array(OBJSET_PHYS_SIZE);
  encodeDnode(block, 0, meta);
  putU64(block, 704, osType);
  return bw.write(
    block,
    { type: OT.OBJSET, level: 0, copies, compress: ZIO_COMPRESS.LZJB, fill: meta.written.fill },
    account,
  );
}
