// The per-mount vnode cache (OSv fs/vfs/vfs_vnode.cc keeps a hash of (mount, ino) -> vnode).
// A file system asks the cache for a vnode by inode number and builds it only on a miss, so at
// most one Vnode per file exists and identity comparison is meaningful. Vnodes that no one
// holds (refcount 0) may be evicted; file systems that keep their own node objects (ramfs)
// simply get the same Vnode back, file systems that build vnodes from disk (rofs) rebuild them.
import type { Vnode } from './vnode.js';

export class VnodeCache {
  private readonly byIno = new Map<number, Vnode>();

  get size(): number {
    return this.byIno.size;
  }

  /** The cached vnode for `ino`, or the one `create()` builds (and caches) on a miss. */
  get(ino: number, create: () => Vnode): Vnode {
    let v = this.byIno.get(ino);
    if (v === undefined) {
      v = create();
      this.byIno.set(ino, v);
    }
    return v;
  }

  peek(ino: number): Vnode | undefined {
    return this.byIno.get(ino);
  }

  /** Drops `vnode` from the cache (it was removed and nothing holds it). */
  forget(vnode: Vnode): void {
    if (this.byIno.get(vnode.ino) === vnode) this.byIno.delete(vnode.ino);
  }

  values(): IterableIterator<Vnode> {
    return this.byIno.values();
  }
}
