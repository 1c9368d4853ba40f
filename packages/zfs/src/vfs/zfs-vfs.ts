// A ZPL dataset as an @osv-ts/vfs file system (OSv's zfs_vfsops + zfs_vnops, read side). Vnode
// inode numbers are ZFS object numbers, as zfs-fuse reports them. Read-only: the VFS answers
// every modification with EROFS. Directory listings are taken once per directory vnode, so
// readdir cookies (index + 2) are stable for the life of the mount.
import { Errno, KernelError } from '@osv-ts/kernel-api';
import { Vnode, VType, type DirEntry, type FileSystem, type IoContext, type Mount, type StatFs, type VnodeOps } from '@osv-ts/vfs';
import type { Pool } from '../pool/pool.js';
import type { FileType, ZplFilesystem, DirEntry as ZplDirEntry } from '../zpl/zpl.js';

const NS = 1_000_000_000n;

function vtypeOf(t: FileType): VType {
  switch (t) {
    case 'file': return VType.VREG;
    case 'dir': return VType.VDIR;
    case 'symlink': return VType.VLNK;
    case 'fifo': return VType.VFIFO;
    case 'chr': return VType.VCHR;
    case 'blk': return VType.VBLK;
    case 'sock': return VType.VSOCK;
    default: return VType.VNON;
  }
}

interface ZfsVnodeData {
  obj: number;
  parent: number;
  entries?: ZplDirEntry[];
}

export class ZfsVfs implements FileSystem, VnodeOps {
  readonly type = 'zfs';
  readonly readOnly = true;
  readonly blockSizeBytes = 131072;
  private mountRef!: Mount;

  constructor(readonly zpl: ZplFilesystem, readonly pool?: Pool) {}

  mount(mount: Mount): Vnode {
    this.mountRef = mount;
    return this.vget(this.zpl.rootObj);
  }

  statfs(): StatFs {
    return { type: this.type, blockSize: 512, blocks: 0, blocksFree: 0, blocksAvailable: 0, files: 0, filesFree: 0, nameMax: 255 };
  }

  private vget(obj: number): Vnode {
    const m = this.mountRef;
    return m.vnodes.get(obj, () => {
      const z = this.zpl.stat(obj);
      const v = new Vnode(m, obj, vtypeOf(z.type), this, { obj, parent: z.parent } satisfies ZfsVnodeData, z.mode & 0o7777);
      v.size = z.size;
      v.nlink = z.links;
      v.uid = z.uid;
      v.gid = z.gid;
      v.rdev = z.rdev;
      v.atimeNs = BigInt(z.atime.sec) * NS + BigInt(z.atime.nsec);
      v.mtimeNs = BigInt(z.mtime.sec) * NS + BigInt(z.mtime.nsec);
      v.ctimeNs = BigInt(z.ctime.sec) * NS + BigInt(z.ctime.nsec);
      return v;
    });
  }

  private entries(dir: Vnode): ZplDirEntry[] {
    const d = dir.data as ZfsVnodeData;
    d.entries ??= this.zpl.readdir(d.obj).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return d.entries;
  }

  lookup(dir: Vnode, name: string): Vnode | undefined {
    try {
      return this.vget(this.zpl.lookup((dir.data as ZfsVnodeData).obj, name).obj);
    } catch (e) {
      if (e instanceof KernelError && e.errno === Errno.ENOENT) return undefined;
      throw e;
    }
  }

  parent(dir: Vnode): Vnode {
    const d = dir.data as ZfsVnodeData;
    return d.obj === this.zpl.rootObj ? dir : this.vget(d.parent);
  }

  readdir(dir: Vnode, cookie: number): DirEntry | null {
    const list = this.entries(dir);
    const k = cookie - 2;
    if (k < 0 || k >= list.length) return null;
    const e = list[k]!;
    return { name: e.name, ino: e.obj, type: vtypeOf(e.type), next: cookie + 1 };
  }

  isEmpty(dir: Vnode): boolean {
    return this.entries(dir).length === 0;
  }

  readlink(vnode: Vnode): string {
    return this.zpl.readlink((vnode.data as ZfsVnodeData).obj);
  }

  read(vnode: Vnode, offsetBytes: number, into: Uint8Array, _io: IoContext): number {
    if (vnode.type === VType.VDIR) throw new KernelError(Errno.EISDIR);
    const data = this.zpl.read((vnode.data as ZfsVnodeData).obj, offsetBytes, into.length);
    into.set(data);
    return data.length;
  }
}
