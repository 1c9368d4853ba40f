// A ramfs directory: name -> vnode, plus an insertion-ordered list of entries with stable
// cookies for readdir. Each entry gets the next cookie when it is linked in; removing an entry
// leaves a tombstone in the ordered list (compacted once tombstones dominate), so a listing
// resumed from any cookie neither skips nor repeats an entry that still exists, whatever was
// unlinked or created meanwhile (WASI fd_readdir's contract; POSIX only promises that for
// entries not added or removed).
import type { DirEntry } from '../../file-system.js';
import type { Vnode } from '../../vnode.js';

interface Entry {
  readonly name: string;
  readonly vnode: Vnode;
  readonly cookie: number;
  removed: boolean;
}

/** First fs cookie (0 and 1 are the VFS's "." and ".."). */
const FIRST_COOKIE = 2;

export class RamDirectory {
  private readonly byName = new Map<string, Entry>();
  private ordered: Entry[] = [];
  private tombstones = 0;
  private nextCookie = FIRST_COOKIE;

  constructor(public parent: Vnode | undefined) {}

  get count(): number {
    return this.byName.size;
  }

  get(name: string): Vnode | undefined {
    return this.byName.get(name)?.vnode;
  }

  add(name: string, vnode: Vnode): void {
    const e: Entry = { name, vnode, cookie: this.nextCookie++, removed: false };
    this.byName.set(name, e);
    this.ordered.push(e);
  }

  remove(name: string): Vnode | undefined {
    const e = this.byName.get(name);
    if (!e) return undefined;
    this.byName.delete(name);
    e.removed = true;
    if (++this.tombstones > 32 && this.tombstones * 2 > this.ordered.length) {
      this.ordered = this.ordered.filter((x) => !x.removed);
      this.tombstones = 0;
    }
    return e.vnode;
  }

  /** The first live entry whose cookie is >= `cookie`. */
  readdir(cookie: number): DirEntry | null {
    const list = this.ordered;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid]!.cookie < cookie) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < list.length; i++) {
      const e = list[i]!;
      if (!e.removed) return { name: e.name, ino: e.vnode.ino, type: e.vnode.type, next: e.cookie + 1 };
    }
    return null;
  }

  names(): IterableIterator<string> {
    return this.byName.keys();
  }
}
