// Space allocation for a new pool (metaslab.c, simplified to what an image writer needs): each
// allocation "lane" owns whole metaslabs and fills them front to back, so ditto copies (one lane
// per copy) always land in different metaslabs and the allocated space of every metaslab is a
// short list of extents that becomes its space map. Nothing is ever freed here.
import { Errno, KernelError } from '@osv-ts/kernel-api';

export interface Extent {
  readonly offset: number;
  readonly size: number;
}

export class Allocator {
  readonly metaslabCount: number;
  readonly metaslabSize: number;
  private readonly owner: Int32Array;
  private readonly laneMs: number[] = [];
  private readonly laneNext: number[] = [];
  /** Allocated extents per metaslab, in allocation order (merged when adjacent). */
  readonly extents = new Map<number, Extent[]>();
  allocatedBytes = 0;

  constructor(
    readonly asize: number,
    readonly metaslabShift: number,
    readonly ashift: number,
    readonly lanes = 3,
  ) {
    this.metaslabSize = 2 ** metaslabShift;
    this.metaslabCount = Math.floor(asize / this.metaslabSize);
    if (this.metaslabCount < lanes)
      throw new KernelError(Errno.ENOSPC, `pool of ${asize} bytes has only ${this.metaslabCount} metaslabs`);
    this.owner = new Int32Array(this.metaslabCount).fill(-1);
    for (let l = 0; l < lanes; l++) {
      this.laneMs.push(-1);
      this.laneNext.push(0);
    }
  }

  private claim(lane: number): number {
    const start = Math.floor((lane * this.metaslabCount) / this.lanes);
    for (let i = 0; i < this.metaslabCount; i++) {
      const ms = (start + i) % this.metaslabCount;
      if (this.owner[ms] === -1) {
        this.owner[ms] = lane;
        return ms;
      }
    }
    throw new KernelError(Errno.ENOSPC, 'pool is full');
  }

  /** Allocates `size` bytes (a multiple of 1 << ashift) in lane `lane`; returns the DVA offset. */
  allocate(size: number, lane: number): number {
    if (size % 2 ** this.ashift !== 0 || size <= 0 || size > this.metaslabSize)
      throw new KernelError(Errno.EINVAL, `bad allocation size ${size}`);
    let ms = this.laneMs[lane]!;
    if (ms === -1 || this.laneNext[lane]! + size > (ms + 1) * this.metaslabSize) {
      ms = this.claim(lane);
      this.laneMs[lane] = ms;
      this.laneNext[lane] = ms * this.metaslabSize;
    }
    const offset = this.laneNext[lane]!;
    this.laneNext[lane] = offset + size;
    const list = this.extents.get(ms) ?? [];
    const last = list[list.length - 1];
    if (last && last.offset + last.size === offset)
      list[list.length - 1] = { offset: last.offset, size: last.size + size };
    else list.push({ offset, size });
    this.extents.set(ms, list);
    this.allocatedBytes += size;
    return offset;
  }

  touched(): Set<number> {
    return new Set(this.extents.keys());
  }
}
