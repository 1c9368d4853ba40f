// A set of disjoint half-open byte ranges [start, end), kept sorted and merged (the role of
// ZFS's space_map_t AVL tree of segments, range_tree.c in OpenZFS). Used for the free space of
// one metaslab and for the allocations and frees of one txg.
export class RangeSet {
  private starts: number[] = [];
  private ends: number[] = [];

  get size(): number {
    return this.starts.length;
  }

  /** Total bytes covered. */
  get bytes(): number {
    let n = 0;
    for (let i = 0; i < this.starts.length; i++) n += this.ends[i]! - this.starts[i]!;
    return n;
  }

  /** Index of the last range whose start is ≤ x, or -1. */
  private floor(x: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid]! <= x) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }

  /** True when [start, end) lies entirely inside the set. */
  contains(start: number, end: number): boolean {
    const i = this.floor(start);
    return i >= 0 && this.ends[i]! >= end;
  }

  /** True when [start, end) shares any byte with the set. */
  overlaps(start: number, end: number): boolean {
    const i = this.floor(end - 1);
    return i >= 0 && this.ends[i]! > start;
  }

  /** Adds [start, end); it must not overlap the set (a double add is a caller bug). */
  add(start: number, end: number): void {
    if (end <= start) return;
    if (this.overlaps(start, end)) throw new Error(`range [${start}, ${end}) already in set`);
    const i = this.floor(start);
    const joinLeft = i >= 0 && this.ends[i] === start;
    const joinRight = i + 1 < this.starts.length && this.starts[i + 1] === end;
    if (joinLeft && joinRight) {
      this.ends[i] = this.ends[i + 1]!;
      this.starts.splice(i + 1, 1);
      this.ends.splice(i + 1, 1);
    } else if (joinLeft) this.ends[i] = end;
    else if (joinRight) this.starts[i + 1] = start;
    else {
      this.starts.splice(i + 1, 0, start);
      this.ends.splice(i + 1, 0, end);
    }
  }

  /** Removes [start, end), which must lie inside the set. */
  remove(start: number, end: number): void {
    if (end <= start) return;
    const i = this.floor(start);
    if (i < 0 || this.ends[i]! < end) throw new Error(`range [${start}, ${end}) not in set`);
    const s = this.starts[i]!;
    const e = this.ends[i]!;
    if (s === start && e === end) {
      this.starts.splice(i, 1);
      this.ends.splice(i, 1);
    } else if (s === start) this.starts[i] = end;
    else if (e === end) this.ends[i] = start;
    else {
      this.ends[i] = start;
      this.starts.splice(i + 1, 0, end);
      this.ends.splice(i + 1, 0, e);
    }
  }

  /** Lowest start of a free run of `size` bytes aligned to `align`, or -1 (first fit). */
  firstFit(size: number, align: number): number {
    for (let i = 0; i < this.starts.length; i++) {
      const s = Math.ceil(this.starts[i]! / align) * align;
      if (s + size <= this.ends[i]!) return s;
    }
    return -1;
  }

  *ranges(): Generator<[number, number]> {
    for (let i = 0; i < this.starts.length; i++) yield [this.starts[i]!, this.ends[i]!];
  }

  clear(): void {
    this.starts = [];
    this.ends = [];
  }
}
