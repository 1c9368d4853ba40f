// Space allocation on an opened pool (metaslab.c, v23 semantics). Every metaslab's space map
// is replayed into the set of allocated segments; allocatable space is its complement minus
// deferred frees. Within a txg, allocations and frees are recorded per metaslab so the sync can
// append them to the space maps. As in metaslab_sync_done, space freed in txg N is deferred and
// allocatable again only after TXG_DEFER_SIZE more txgs, so the trees of the previous
// uberblocks stay intact (crash recovery and `zpool import -F`). A block allocated and freed in
// the same txg (a later sync pass rewriting it) is returned at once and leaves no entry.
import { Errno, KernelError } from '@osv-ts/kernel-api';
import { RangeSet } from './range-set.js';

export const TXG_DEFER_SIZE = 2;

interface Deferred {
  readonly freedTxg: number;
  readonly ms: number;
  readonly start: number;
  readonly end: number;
}

export class MetaslabAllocator {
  readonly metaslabSize: number;
  readonly count: number;
  /** Allocated segments as the space maps (plus this txg) say. */
  private readonly allocated: RangeSet[];
  /** Allocatable now: free and not deferred. */
  private readonly free: RangeSet[];
  private readonly txgAllocs = new Map<number, RangeSet>();
  private readonly txgFrees = new Map<number, RangeSet>();
  private deferred: Deferred[] = [];
  private avoid: number[] = [];
  txg = 0;

  constructor(
    readonly metaslabShift: number,
    readonly ashift: number,
    allocated: RangeSet[],
  ) {
    this.metaslabSize = 2 ** metaslabShift;
    this.count = allocated.length;
    this.allocated = allocated;
    this.free = allocated.map((a, ms) => {
      const f = new RangeSet();
      let at = ms * this.metaslabSize;
      for (const [s, e] of a.ranges()) {
        f.add(at, s);
        at = e;
      }
      f.add(at, (ms + 1) * this.metaslabSize);
      return f;
    });
  }

  /** Net allocated bytes of metaslab `ms` (smo_alloc after this txg). */
  allocatedBytes(ms: number): number {
    return this.allocated[ms]!.bytes;
  }

  /** Bytes allocatable now (free and not deferred). */
  get freeBytes(): number {
    return this.free.reduce((a, r) => a + r.bytes, 0);
  }

  get capacityBytes(): number {
    return this.count * this.metaslabSize;
  }

  get totalAllocatedBytes(): number {
    return this.allocated.reduce((a, r) => a + r.bytes, 0);
  }

  /** True when [offset, offset + size) is allocated according to the space maps. */
  isAllocated(offset: number, size: number): boolean {
    const ms = this.msOf(offset);
    return ms < this.count && this.allocated[ms]!.contains(offset, offset + size);
  }

  beginTxg(txg: number): void {
    this.txg = txg;
    this.txgAllocs.clear();
    this.txgFrees.clear();
    // metaslab_sync_done: frees of txg N rejoin the free tree once txg N + TXG_DEFER_SIZE synced.
    const keep: Deferred[] = [];
    for (const d of this.deferred) {
      if (d.freedTxg + TXG_DEFER_SIZE < txg) this.free[d.ms]!.add(d.start, d.end);
      else keep.push(d);
    }
    this.deferred = keep;
  }

  private msOf(offset: number): number {
    return Math.floor(offset / this.metaslabSize);
  }

  private setFor(map: Map<number, RangeSet>, ms: number): RangeSet {
    let s = map.get(ms);
    if (!s) {
      s = new RangeSet();
      map.set(ms, s);
    }
    return s;
  }

  /**
   * Allocates `size` bytes (a multiple of 1 << ashift) for DVA number `copy` of a block and
   * returns its offset. Copies of one block go to different metaslabs, started far apart as
   * zfs-fuse spreads ditto blocks (copy 0 starts a new block).
   */
  allocate(size: number, copy: number): number {
    if (size <= 0 || size % 2 ** this.ashift !== 0 || size > this.metaslabSize)
      throw new KernelError(Errno.EINVAL, `bad allocation size ${size}`);
    if (copy === 0) this.avoid = [];
    const start = Math.floor((copy * this.count) / 3);
    for (let i = 0; i < this.count; i++) {
      const ms = (start + i) % this.count;
      if (this.avoid.includes(ms)) continue;
      const at = this.free[ms]!.firstFit(size, 2 ** this.ashift);
      if (at < 0) continue;
      this.free[ms]!.remove(at, at + size);
      this.allocated[ms]!.add(at, at + size);
      this.setFor(this.txgAllocs, ms).add(at, at + size);
      this.avoid.push(ms);
      return at;
    }
    throw new KernelError(Errno.ENOSPC, `no metaslab has ${size} free bytes`);
  }

  /** Frees an extent of a block born in `birthTxg` (metaslab_free). */
  freeExtent(offset: number, size: number, birthTxg: number): void {
    const ms = this.msOf(offset);
    const alloc = this.allocated[ms];
    if (!alloc || this.msOf(offset + size - 1) !== ms || !alloc.contains(offset, offset + size)) {
      throw new KernelError(Errno.EIO, `freeing ${size} bytes at ${offset}, which are not allocated`);
    }
    alloc.remove(offset, offset + size);
    const mine = this.txgAllocs.get(ms);
    if (birthTxg === this.txg && mine?.contains(offset, offset + size)) {
      mine.remove(offset, offset + size);
      this.free[ms]!.add(offset, offset + size);
      return;
    }
    this.setFor(this.txgFrees, ms).add(offset, offset + size);
    this.deferred.push({ freedTxg: this.txg, ms, start: offset, end: offset + size });
  }

  /** Metaslabs with allocations or frees in the current txg, ascending. */
  touched(): number[] {
    const s = new Set<number>();
    for (const [ms, r] of this.txgAllocs) if (r.size > 0) s.add(ms);
    for (const [ms, r] of this.txgFrees) if (r.size > 0) s.add(ms);
    return [...s].sort((a, b) => a - b);
  }

  /** This txg's allocations and frees of metaslab `ms`, offsets relative to the metaslab. */
  activity(ms: number): { allocs: [number, number][]; frees: [number, number][] } {
    const base = ms * this.metaslabSize;
    const rel = (r: RangeSet | undefined): [number, number][] =>
      r ? [...r.ranges()].map(([s, e]) => [s - base, e - s]) : [];
    return { allocs: rel(this.txgAllocs.get(ms)), frees: rel(this.txgFrees.get(ms)) };
  }

  /** A string that changes whenever this txg's allocations or frees change (sync-pass convergence). */
  signature(): string {
    return this.touched()
      .map((ms) => {
        const a = this.activity(ms);
        return `${ms}:${a.allocs.join(';')}/${a.frees.join(';')}`;
      })
      .join('|');
  }
}
