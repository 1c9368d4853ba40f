// The ROFS driver (OSv fs/rofs/rofs_vfsops.cc + rofs_vnops.cc) over a BlockDevice: all
// metadata is read and validated once at mount (a corrupt image is a mount error:
// KernelError(EINVAL) carrying the FormatError as its cause), file data is read on demand.
// Small reads go through a bounded read-around segment cache (RofsSegmentCache; OSv's never
// evicts); large ones go straight to the device, into the caller's buffer when sector-aligned
// and otherwise through a bounce buffer reused across calls. Attribute values follow OSv: mode 0555, directories
// report st_size 32; symlinks report their target length (POSIX) rather than OSv's 512; no times.
import type { BlockDevice } from '@osv-ts/kernel-api';
import { Errno, FormatError, KernelError } from '@osv-ts/kernel-api';
import type { DirEntry, FileSystem, IoContext, VnodeOps } from '../../file-system.js';
import type { Mount } from '../../mount.js';
import type { StatFs } from '../../stat.js';
import { Vnode } from '../../vnode.js';
import { VType } from '../../vtype.js';
import { ROFS_MAX_CACHED_SEGMENT, ROFS_SEGMENT_BYTES, RofsSegmentCache } from './rofs-cache.js';
import {
  ROFS_BLOCK_SIZE,
  ROFS_MODE_DIR,
  ROFS_MODE_LINK,
  type RofsInode,
  type RofsMetadata,
  parseStructureInfo,
  parseSuperblock,
} from './rofs-format.js';

const encoder = new TextEncoder();

export interface RofsOptions {
  /**
   * Bytes of the read-around segment cache (32 KiB segments, LRU). Default 4 MiB; 0 disables
   * it (OSv's --disable_rofs_cache). Reads of a whole segment or more bypass it.
   */
  cacheBytes?: number;
}

export class Rofs implements FileSystem, VnodeOps {
  readonly type = 'rofs';
  readonly readOnly = true;
  readonly blockSizeBytes = ROFS_BLOCK_SIZE;
  private meta!: RofsMetadata;
  /** Parent directory inode of each directory inode (root: itself). */
  private parents!: Uint32Array;
  private mountRef!: Mount;
  private bounce = new Uint8Array(0);
  private bounceBusy = false;
  /** Device reads issued for file data, and bytes they moved. */
  blocksRead = 0;

  readonly cache: RofsSegmentCache | undefined;

  constructor(
    private readonly device: BlockDevice,
    options: RofsOptions = {},
  ) {
    const bytes = options.cacheBytes ?? 4 * 1024 * 1024;
    this.cache = bytes > 0 ? new RofsSegmentCache(bytes) : undefined;
  }

  /** Reads and validates the image's metadata; throws KernelError(EINVAL) for a corrupt image. */
  mount(mount: Mount): Vnode {
    this.mountRef = mount;
    try {
      this.load();
    } catch (e) {
      if (e instanceof FormatError) {
        const err = new KernelError(Errno.EINVAL, `${this.device.name}: not a valid ROFS image: ${e.message}`);
        (err as { cause?: unknown }).cause = e;
        throw err;
      }
      throw e;
    }
    return this.vget(1);
  }

  private load(): void {
    const dev = this.device;
    const sector = Math.max(dev.sectorSizeBytes, ROFS_BLOCK_SIZE);
    if (dev.sizeBytes < sector)
      throw new FormatError('rofs', 'superblock', 0, `device of ${dev.sizeBytes} bytes is too small`);
    const block0 = new Uint8Array(sector);
    dev.read(0, block0);
    const sb = parseSuperblock(block0, dev.sizeBytes);
    const start = sb.structureInfoFirstBlock * ROFS_BLOCK_SIZE;
    const length = sb.structureInfoBlocksCount * ROFS_BLOCK_SIZE;
    const area = this.readBytes(start, length);
    this.meta = parseStructureInfo(area, sb, dev.sizeBytes);
    const { inodes, dirEntries } = this.meta;
    this.parents = new Uint32Array(inodes.length + 1);
    this.parents[1] = 1;
    for (const dir of inodes) {
      if (dir.mode !== ROFS_MODE_DIR) continue;
      for (let k = 0; k < dir.count; k++) {
        const child = dirEntries[dir.dataOffset + k]!.inodeNo;
        if (inodes[child - 1]!.mode === ROFS_MODE_DIR) this.parents[child] = dir.inodeNo;
      }
    }
  }

  statfs(): StatFs {
    const sb = this.meta.superblock;
    return {
      type: this.type,
      blockSize: ROFS_BLOCK_SIZE,
      blocks: sb.structureInfoFirstBlock + sb.structureInfoBlocksCount,
      blocksFree: 0,
      blocksAvailable: 0,
      files: sb.inodesCount,
      filesFree: 0,
      nameMax: 0xffff,
    };
  }

  private inode(ino: number): RofsInode {
    return this.meta.inodes[ino - 1]!;
  }

  private vget(ino: number): Vnode {
    const m = this.mountRef;
    return m.vnodes.get(ino, () => {
      const i = this.inode(ino);
      const type = i.mode === ROFS_MODE_DIR ? VType.VDIR : i.mode === ROFS_MODE_LINK ? VType.VLNK : VType.VREG;
      const v = new Vnode(m, ino, type, this, i, 0o555);
      if (type === VType.VDIR) {
        v.size = 32;
        let subdirs = 0;
        for (let k = 0; k < i.count; k++) {
          if (this.inode(this.meta.dirEntries[i.dataOffset + k]!.inodeNo).mode === ROFS_MODE_DIR) subdirs++;
        }
        v.nlink = 2 + subdirs;
      } else if (type === VType.VLNK) {
        v.size = encoder.encode(this.meta.symlinks[i.dataOffset]).length;
      } else {
        v.size = i.count;
      }
      return v;
    });
  }

  // ---- VnodeOps ----------------------------------------------------------------------------

  lookup(dir: Vnode, name: string): Vnode | undefined {
    const i = dir.data as RofsInode;
    const entries = this.meta.dirEntries;
    // rofs_vnops.cc: a linear scan with strcmp; the first match wins.
    for (let k = 0; k < i.count; k++) {
      const e = entries[i.dataOffset + k]!;
      if (e.name === name) return this.vget(e.inodeNo);
    }
    return undefined;
  }

  parent(dir: Vnode): Vnode {
    return this.vget(this.parents[dir.ino] || 1);
  }

  readdir(dir: Vnode, cookie: number): DirEntry | null {
    // As OSv: cookie k >= 2 is child k - 2 (read-only, so cookies are trivially stable).
    const i = dir.data as RofsInode;
    const k = cookie - 2;
    if (k < 0 || k >= i.count) return null;
    const e = this.meta.dirEntries[i.dataOffset + k]!;
    const child = this.inode(e.inodeNo);
    const type = child.mode === ROFS_MODE_DIR ? VType.VDIR : child.mode === ROFS_MODE_LINK ? VType.VLNK : VType.VREG;
    return { name: e.name, ino: e.inodeNo, type, next: cookie + 1 };
  }

  isEmpty(dir: Vnode): boolean {
    return (dir.data as RofsInode).count === 0;
  }

  readlink(vnode: Vnode): string {
    const i = vnode.data as RofsInode;
    if (i.mode !== ROFS_MODE_LINK) throw new KernelError(Errno.EINVAL);
    return this.meta.symlinks[i.dataOffset]!;
  }

  read(vnode: Vnode, offset: number, into: Uint8Array, _io: IoContext): number {
    if (vnode.type === VType.VDIR) throw new KernelError(Errno.EISDIR);
    if (vnode.type !== VType.VREG) throw new KernelError(Errno.EINVAL);
    const i = vnode.data as RofsInode;
    if (offset >= i.count || into.length === 0) return 0;
    const n = Math.min(into.length, i.count - offset);
    const out = n === into.length ? into : into.subarray(0, n);
    const cache = this.cache;
    if (
      cache === undefined ||
      n >= ROFS_SEGMENT_BYTES ||
      (offset + n) / ROFS_SEGMENT_BYTES >= ROFS_MAX_CACHED_SEGMENT
    ) {
      this.readDirect(i, offset, out);
      return n;
    }
    // Small read: serve it from 32 KiB segments of the file, reading missing ones whole.
    let done = 0;
    while (done < n) {
      const pos = offset + done;
      const index = Math.floor(pos / ROFS_SEGMENT_BYTES);
      let seg = cache.get(vnode.ino, index);
      if (seg === undefined) {
        const segStart = index * ROFS_SEGMENT_BYTES;
        // The last segment of a file is shorter; bytes past EOF are never handed out.
        seg = cache.buffer(Math.min(ROFS_SEGMENT_BYTES, i.count - segStart));
        this.readDirect(i, segStart, seg);
        cache.put(vnode.ino, index, seg);
      }
      const within = pos - index * ROFS_SEGMENT_BYTES;
      const len = Math.min(n - done, seg.length - within);
      out.set(seg.subarray(within, within + len), done);
      done += len;
    }
    return n;
  }

  /** Reads file bytes [offset, offset + out.length) from the device (aligned: straight into `out`). */
  private readDirect(i: RofsInode, offset: number, out: Uint8Array): void {
    const n = out.length;
    const start = i.dataOffset * ROFS_BLOCK_SIZE + offset;
    const sector = this.device.sectorSizeBytes;
    const alignedStart = start - (start % sector);
    const alignedEnd = Math.ceil((start + n) / sector) * sector;
    if (alignedStart === start && alignedEnd === start + n) {
      this.device.read(start, out);
    } else {
      const span = alignedEnd - alignedStart;
      // The shared bounce buffer is only borrowed when free: a read that blocks on the device
      // lets other threads read other files of this mount meanwhile (per-vnode locks only).
      const borrow = !this.bounceBusy;
      if (borrow && this.bounce.length < span) this.bounce = new Uint8Array(Math.max(span, 64 * 1024));
      const b = borrow ? this.bounce.subarray(0, span) : new Uint8Array(span);
      this.bounceBusy = true;
      try {
        this.device.read(alignedStart, b);
        out.set(b.subarray(start - alignedStart, start - alignedStart + n));
      } finally {
        if (borrow) this.bounceBusy = false;
      }
    }
    this.blocksRead += Math.ceil((alignedEnd - alignedStart) / ROFS_BLOCK_SIZE);
  }

  /** Bytes [offset, offset + length) of the device (offset block-aligned), read in one request. */
  private readBytes(offset: number, length: number): Uint8Array {
    const sector = this.device.sectorSizeBytes;
    const alignedStart = offset - (offset % sector);
    const alignedEnd = Math.min(Math.ceil((offset + length) / sector) * sector, this.device.sizeBytes);
    if (offset + length > alignedEnd) throw new FormatError('rofs', 'structure_info', offset, 'ends past the device');
    const buf = new Uint8Array(alignedEnd - alignedStart);
    this.device.read(alignedStart, buf);
    return buf.subarray(offset - alignedStart, offset - alignedStart + length);
  }
}
