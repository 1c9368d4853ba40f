// ROFS read-around cache (OSv fs/rofs/rofs_cache.cc): file data is cached in 32 KiB segments
// (64 blocks) keyed by (inode, segment index), so small sequential reads (a 4 KiB stdio buffer)
// cost one device request per segment instead of one per read. Unlike OSv's, which never
// evicts, this cache is bounded and evicts the least recently used segment; an evicted
// segment's buffer is reused for the next miss, so a streaming read allocates nothing.
export const ROFS_SEGMENT_BYTES = 64 * 512;
/** Segment indexes below this fit the numeric key (files up to 64 GiB); larger offsets bypass the cache. */
export const ROFS_MAX_CACHED_SEGMENT = 0x200000;

export class RofsSegmentCache {
  private readonly segments = new Map<number, Uint8Array>();
  private bytes = 0;
  private spare: Uint8Array | undefined;
  hits = 0;
  misses = 0;

  constructor(readonly capacityBytes: number) {}

  private static key(ino: number, index: number): number {
    return ino * ROFS_MAX_CACHED_SEGMENT + index;
  }

  /** The cached segment, marked most recently used. */
  get(ino: number, index: number): Uint8Array | undefined {
    const key = RofsSegmentCache.key(ino, index);
    const seg = this.segments.get(key);
    if (seg === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.segments.delete(key);
    this.segments.set(key, seg);
    return seg;
  }

  /** A buffer of `length` bytes for a segment about to be read (recycled when possible). */
  buffer(length: number): Uint8Array {
    const s = this.spare;
    if (s !== undefined && s.buffer.byteLength >= length) {
      this.spare = undefined;
      return new Uint8Array(s.buffer, 0, length);
    }
    return new Uint8Array(length);
  }

  put(ino: number, index: number, seg: Uint8Array): void {
    if (seg.length > this.capacityBytes) return;
    const key = RofsSegmentCache.key(ino, index);
    const old = this.segments.get(key);
    if (old) {
      this.bytes -= old.length;
      this.segments.delete(key);
    }
    while (this.bytes + seg.length > this.capacityBytes) {
      const [k, v] = this.segments.entries().next().value as [number, Uint8Array];
      this.segments.delete(k);
      this.bytes -= v.length;
      this.spare = v;
    }
    this.segments.set(key, seg);
    this.bytes += seg.length;
  }

  get sizeBytes(): number {
    return this.bytes;
  }
}
