// Byte ranges of a descriptor chain's buffers: devices must not depend on how the driver split
// a message into descriptors (virtio 1.2 §2.6.4), so they address the chain as one byte stream.
import type { Segment } from '../device/device-virtqueue.js';

/** The pieces of guest memory holding bytes [start, start+length) of a segment list. */
export function segmentRange(segments: readonly Segment[], start: number, length: number): Segment[] {
  const out: Segment[] = [];
  let skip = start;
  let want = length;
  for (const s of segments) {
    if (want === 0) break;
    if (skip >= s.length) {
      skip -= s.length;
      continue;
    }
    const n = Math.min(s.length - skip, want);
    if (n > 0) out.push({ address: s.address + skip, length: n });
    skip = 0;
    want -= n;
  }
  return out;
}
