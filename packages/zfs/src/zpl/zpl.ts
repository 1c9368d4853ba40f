// The ZFS POSIX layer, read side (zfs_vnops.c / zfs_dir.c): files, directories and symlinks of a
// dataset as znodes. Attributes come from znode_phys_t (ZPL ≤ 4) or system attributes (ZPL 5).
import { Errno, FormatError, KernelError } from '@osv-ts/kernel-api';
import type { ObjectSet } from '../dmu/objset.js';
import { u64n, viewOf } from '../format/bytes.js';
import { decodeSaBuffer, decodeSaRegistryValue } from '../format/sa.js';
import {
  decodeDirent,
  decodeZnodePhys,
  S_IFBLK,
  S_IFCHR,
  S_IFDIR,
  S_IFIFO,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
  S_IFSOCK,
  ZNODE_PHYS_SIZE,
  type Timespec,
  type ZnodeAttrs,
} from '../format/znode.js';
import { ZapReader } from '../zap/zap-reader.js';
import { zilHasRecords } from '../dmu/zil.js';
import { UnsupportedError } from '../pool/vdev.js';

export type FileType = 'file' | 'dir' | 'symlink' | 'fifo' | 'chr' | 'blk' | 'sock' | 'unknown';

export interface DirEntry {
  readonly name: string;
  readonly obj: number;
  readonly type: FileType;
}

export interface Znode extends ZnodeAttrs {
  readonly obj: number;
  readonly type: FileType;
}

const DMU_OT_ZNODE = 17;
const DMU_OT_SA = 44;
const MAX_SYMLINK_DEPTH = 40;

export function fileTypeOfMode(mode: number): FileType {
  switch (mode & S_IFMT) {
    case S_IFREG:
      return 'file';
    case S_IFDIR:
      return 'dir';
    case S_IFLNK:
      return 'symlink';
    case S_IFIFO:
      return 'fifo';
    case S_IFCHR:
      return 'chr';
    case S_IFBLK:
      return 'blk';
    case S_IFSOCK:
      return 'sock';
    default:
      return 'unknown';
  }
}

function fileTypeOfDtype(dt: number): FileType {
  return fileTypeOfMode(dt << 12);
}

const utf8 = new TextDecoder();

interface SaTables {
  byName: Map<string, { num: number; length: number }>;
  lengths: Map<number, number>;
  layouts: Map<number, number[]>;
}

export class ZplFilesystem {
  readonly version: number;
  readonly rootObj: number;
  readonly deleteQueueObj: number;
  private readonly sa: SaTables | null;

  /**
   * Opens the file system of `os`. A dataset whose intent log holds records (a crash after
   * fsync, before the txg synced) is refused: those writes are not in the tree, and reading
   * without replaying them would silently lose acknowledged data.
   */
  constructor(readonly os: ObjectSet) {
    if (os.phys.type !== 2) throw new KernelError(Errno.EINVAL, `objset type ${os.phys.type} is not a ZPL file system`);
    if (zilHasRecords(os.reader, os.phys))
      throw new UnsupportedError('intent log replay (dataset has a non-empty ZIL; import it with zfs-fuse first)');
    const master = ZapReader.open(os, 1);
    this.version = master.lookupNumber('VERSION') ?? 0;
    const root = master.lookupNumber('ROOT');
    if (root === undefined) throw new KernelError(Errno.EIO, 'ZPL master node has no ROOT');
    this.rootObj = root;
    this.deleteQueueObj = master.lookupNumber('DELETE_QUEUE') ?? 0;
    const saObj = master.lookupNumber('SA_ATTRS');
    this.sa = saObj !== undefined ? this.loadSa(saObj) : null;
  }

  private loadSa(saObj: number): SaTables {
    const saMaster = ZapReader.open(this.os, saObj);
    const byName = new Map<string, { num: number; length: number }>();
    const lengths = new Map<number, number>();
    const layouts = new Map<number, number[]>();
    const reg = saMaster.lookupNumber('REGISTRY');
    if (reg !== undefined) {
      for (const e of ZapReader.open(this.os, reg).entries()) {
        const r = decodeSaRegistryValue(e.name, e.values[0] ?? 0n);
        byName.set(r.name, { num: r.num, length: r.length });
        lengths.set(r.num, r.length);
      }
    }
    const lay = saMaster.lookupNumber('LAYOUTS');
    if (lay !== undefined) {
      for (const e of ZapReader.open(this.os, lay).entries()) layouts.set(Number(e.name), e.values.map(Number));
    }
    return { byName, lengths, layouts };
  }

  /** Attribute bytes of an SA znode (bonus, then spill block). */
  private saAttrs(obj: number): Map<string, Uint8Array> {
    const dn = this.os.object(obj);
    const sa = this.sa;
    if (!sa) throw new KernelError(Errno.EIO, `object ${obj} has SA bonus but the dataset has no SA_ATTRS`);
    const names = new Map<number, string>();
    for (const [name, r] of sa.byName) names.set(r.num, name);
    const out = new Map<string, Uint8Array>();
    const add = (buf: Uint8Array): void => {
      for (const [num, bytes] of decodeSaBuffer(buf, sa.layouts, (a) => sa.lengths.get(a)))
        out.set(names.get(num) ?? `#${num}`, bytes);
    };
    add(dn.bonus);
    if (dn.spill !== null) add(this.os.reader.read(dn.spill));
    return out;
  }

  private saZnode(obj: number, attrs: Map<string, Uint8Array>): Znode {
    const n = (name: string): number => {
      const b = attrs.get(name);
      if (!b) throw new KernelError(Errno.EIO, `object ${obj}: missing SA attribute ${name}`);
      return u64n(b, 0, true, name);
    };
    const opt = (name: string): number => (attrs.has(name) ? n(name) : 0);
    const t = (name: string): Timespec => {
      const b = attrs.get(name);
      if (!b || b.length < 16) return { sec: 0, nsec: 0 };
      return { sec: u64n(b, 0, true, name), nsec: u64n(b, 8, true, name) };
    };
    const mode = n('ZPL_MODE');
    const flags = attrs.get('ZPL_FLAGS');
    return {
      obj,
      type: fileTypeOfMode(mode),
      mode,
      size: n('ZPL_SIZE'),
      parent: n('ZPL_PARENT'),
      links: n('ZPL_LINKS'),
      gen: opt('ZPL_GEN'),
      xattr: opt('ZPL_XATTR'),
      rdev: opt('ZPL_RDEV'),
      flags: flags && flags.length >= 8 ? viewOf(flags).getBigUint64(0, true) : 0n,
      uid: opt('ZPL_UID'),
      gid: opt('ZPL_GID'),
      atime: t('ZPL_ATIME'),
      mtime: t('ZPL_MTIME'),
      ctime: t('ZPL_CTIME'),
      crtime: t('ZPL_CRTIME'),
    };
  }

  stat(obj: number): Znode {
    const dn = this.os.object(obj);
    try {
      if (dn.bonustype === DMU_OT_ZNODE) {
        const z = decodeZnodePhys(dn.bonus, dn.littleEndian);
        return { ...z, obj, type: fileTypeOfMode(z.mode) };
      }
      if (dn.bonustype === DMU_OT_SA) return this.saZnode(obj, this.saAttrs(obj));
    } catch (e) {
      if (e instanceof FormatError) throw new KernelError(Errno.EIO, `znode ${obj}: ${e.message}`);
      throw e;
    }
    throw new KernelError(Errno.EIO, `object ${obj} has bonus type ${dn.bonustype}, not a znode`);
  }

  private dirZap(dir: number): ZapReader {
    const z = this.stat(dir);
    if (z.type !== 'dir') throw new KernelError(Errno.ENOTDIR, `object ${dir} is not a directory`);
    return ZapReader.open(this.os, dir);
  }

  lookup(dir: number, name: string): DirEntry {
    const e = this.dirZap(dir).lookup(name);
    if (!e || e.values.length === 0) throw new KernelError(Errno.ENOENT, name);
    const d = decodeDirent(e.values[0]!);
    return { name, obj: d.obj, type: fileTypeOfDtype(d.dtype) };
  }

  readdir(dir: number): DirEntry[] {
    return this.dirZap(dir)
      .entries()
      .map((e) => {
        const d = decodeDirent(e.values[0] ?? 0n);
        return { name: e.name, obj: d.obj, type: fileTypeOfDtype(d.dtype) };
      });
  }

  /** Reads up to `length` bytes at `offset`, clamped to the file size. */
  read(obj: number, offset: number, length: number): Uint8Array {
    const z = this.stat(obj);
    if (z.type === 'dir') throw new KernelError(Errno.EISDIR, `object ${obj}`);
    const n = Math.max(0, Math.min(length, z.size - offset));
    if (n === 0) return new Uint8Array(0);
    return this.os.read(this.os.object(obj), offset, n);
  }

  readlink(obj: number): string {
    const z = this.stat(obj);
    if (z.type !== 'symlink') throw new KernelError(Errno.EINVAL, `object ${obj} is not a symlink`);
    const dn = this.os.object(obj);
    if (dn.bonustype === DMU_OT_SA) {
      const target = this.saAttrs(obj).get('ZPL_SYMLINK');
      if (target) return utf8.decode(target);
    } else if (dn.bonus.length > ZNODE_PHYS_SIZE) {
      // Reference §9.3: short targets live in the bonus right after znode_phys_t.
      return utf8.decode(dn.bonus.subarray(ZNODE_PHYS_SIZE, ZNODE_PHYS_SIZE + z.size));
    }
    return utf8.decode(this.os.read(dn, 0, z.size));
  }

  /** Resolves an absolute path; intermediate symlinks are followed, the last one only if `follow`. */
  resolve(path: string, follow = false): number {
    let obj = this.rootObj;
    const parts = path.split('/').filter((p) => p !== '' && p !== '.');
    let depth = 0;
    const stack = [this.rootObj];
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (p === '..') {
        if (stack.length > 1) stack.pop();
        obj = stack[stack.length - 1]!;
        continue;
      }
      const e = this.lookup(obj, p);
      if (e.type === 'symlink' && (i < parts.length - 1 || follow)) {
        if (++depth > MAX_SYMLINK_DEPTH) throw new KernelError(Errno.ELOOP, path);
        const target = this.readlink(e.obj);
        const rest = parts.slice(i + 1);
        if (target.startsWith('/')) {
          stack.length = 1;
          parts.splice(0, parts.length, ...target.split('/').filter((x) => x !== '' && x !== '.'), ...rest);
        } else {
          parts.splice(0, parts.length, ...target.split('/').filter((x) => x !== '' && x !== '.'), ...rest);
        }
        obj = stack[stack.length - 1]!;
        i = -1;
        continue;
      }
      obj = e.obj;
      stack.push(obj);
    }
    return obj;
  }
}
