// A file system whose objects are described by code rather than stored: the base of devfs and
// procfs. Directories list their children on demand (so /proc/self/fd follows the fd table),
// files generate their content on every read (as Linux's seq_file does, so sizes are reported
// as 0), devices implement read/write themselves. Inode numbers are stable per path for the
// life of the mount. Directory cookies are positions in the current listing: stable for the
// static directories, best-effort for the generated ones.
import { Errno, KernelError } from '@osv-ts/kernel-api';
import type { DirEntry, FileSystem, IoContext, VnodeOps } from '../../file-system.js';
import type { Mount } from '../../mount.js';
import { Vnode } from '../../vnode.js';
import { VType } from '../../vtype.js';

export interface SynthDir {
  readonly kind: 'dir';
  readonly perm?: number;
  /** Current children, in listing order. */
  entries(): Iterable<readonly [string, SynthNode]>;
}

export interface SynthFile {
  readonly kind: 'file';
  readonly perm?: number;
  /** The whole content, generated at read time. */
  content(mount: Mount): Uint8Array;
}

export interface SynthLink {
  readonly kind: 'link';
  target(): string;
}

export interface SynthDevice {
  readonly kind: 'chr';
  readonly perm?: number;
  /** Device number (makedev(major, minor) = major << 8 | minor for the small numbers used here). */
  readonly rdev: number;
  read(offset: number, into: Uint8Array, io: IoContext): number;
  write(offset: number, data: Uint8Array, io: IoContext): number;
  poll?(events: number): number;
  /** lseek allowed (Linux allows it on /dev/null, /dev/zero; not on terminals). */
  readonly seekable: boolean;
  readonly isTerminal?: boolean;
}

export type SynthNode = SynthDir | SynthFile | SynthLink | SynthDevice;

interface Data {
  node: SynthNode;
  path: string;
  parent: Vnode | undefined;
}

const TYPE: Record<SynthNode['kind'], VType> = { dir: VType.VDIR, file: VType.VREG, link: VType.VLNK, chr: VType.VCHR };

export function staticDir(
  entries: Record<string, SynthNode> | (() => Iterable<readonly [string, SynthNode]>),
  perm = 0o555,
): SynthDir {
  const list = typeof entries === 'function' ? entries : () => Object.entries(entries);
  return { kind: 'dir', perm, entries: list };
}

export function textFile(generate: (mount: Mount) => string, perm = 0o444): SynthFile {
  const enc = new TextEncoder();
  return { kind: 'file', perm, content: (m) => enc.encode(generate(m)) };
}

export function link(target: () => string): SynthLink {
  return { kind: 'link', target };
}

export class SyntheticFs implements FileSystem, VnodeOps {
  readonly readOnly = false;
  private readonly inos = new Map<string, number>();
  private mountRef!: Mount;

  constructor(
    readonly type: string,
    private readonly rootNode: SynthDir,
  ) {}

  mount(mount: Mount): Vnode {
    this.mountRef = mount;
    return this.vget('', this.rootNode, undefined);
  }

  private vget(path: string, node: SynthNode, parent: Vnode | undefined): Vnode {
    let ino = this.inos.get(path);
    if (ino === undefined) {
      ino = this.inos.size + 1;
      this.inos.set(path, ino);
    }
    const m = this.mountRef;
    const v = m.vnodes.get(ino, () => {
      const vn = new Vnode(
        m,
        ino,
        TYPE[node.kind],
        this,
        { node, path, parent } satisfies Data,
        'perm' in node && node.perm !== undefined ? node.perm : node.kind === 'link' ? 0o777 : 0o444,
      );
      vn.stampAll(m.nowNs());
      if (node.kind === 'dir') vn.nlink = 2;
      if (node.kind === 'chr') vn.rdev = node.rdev;
      return vn;
    });
    // Generated directories may hand out a new node object for the same path (a new fd).
    (v.data as Data).node = node;
    return v;
  }

  private data(v: Vnode): Data {
    return v.data as Data;
  }

  lookup(dir: Vnode, name: string): Vnode | undefined {
    const d = this.data(dir);
    if (d.node.kind !== 'dir') return undefined;
    for (const [n, node] of d.node.entries()) {
      if (n === name) return this.vget(`${d.path}/${name}`, node, dir);
    }
    return undefined;
  }

  parent(dir: Vnode): Vnode {
    return this.data(dir).parent ?? dir;
  }

  readdir(dir: Vnode, cookie: number): DirEntry | null {
    const d = this.data(dir);
    if (d.node.kind !== 'dir') return null;
    let k = 2;
    for (const [name, node] of d.node.entries()) {
      if (k++ < cookie) continue;
      const v = this.vget(`${d.path}/${name}`, node, dir);
      return { name, ino: v.ino, type: v.type, next: k };
    }
    return null;
  }

  isEmpty(dir: Vnode): boolean {
    return this.readdir(dir, 2) === null;
  }

  readlink(v: Vnode): string {
    const n = this.data(v).node;
    if (n.kind !== 'link') throw new KernelError(Errno.EINVAL);
    return n.target();
  }

  read(v: Vnode, offset: number, into: Uint8Array, io: IoContext): number {
    const n = this.data(v).node;
    if (n.kind === 'chr') return n.read(offset, into, io);
    if (n.kind !== 'file') throw new KernelError(Errno.EINVAL);
    const content = n.content(v.mount);
    if (offset >= content.length) return 0;
    const len = Math.min(into.length, content.length - offset);
    into.set(content.subarray(offset, offset + len));
    return len;
  }

  write(v: Vnode, offset: number, data: Uint8Array, io: IoContext): number {
    const n = this.data(v).node;
    if (n.kind === 'chr') return n.write(offset, data, io);
    throw new KernelError(Errno.EACCES);
  }

  open(v: Vnode, flags: number): void {
    const n = this.data(v).node;
    // Generated files are read-only (their permission bits say so; root would otherwise pass).
    if (n.kind === 'file' && (flags & 3) !== 0) throw new KernelError(Errno.EACCES);
  }

  poll(v: Vnode, events: number): number {
    const n = this.data(v).node;
    if (n.kind === 'chr' && n.poll) return n.poll(events);
    return events & 0x5;
  }

  seekable(v: Vnode): boolean {
    const n = this.data(v).node;
    return n.kind !== 'chr' || n.seekable;
  }

  isTerminal(v: Vnode): boolean {
    const n = this.data(v).node;
    return n.kind === 'chr' && n.isTerminal === true;
  }

  getattr(v: Vnode): void {
    const n = this.data(v).node;
    if (n.kind === 'link') v.size = new TextEncoder().encode(n.target()).length;
  }
}
