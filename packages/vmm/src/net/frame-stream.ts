// QEMU's stream-socket framing, as passt and osv-tap-relay speak it: every Ethernet frame is
// preceded by its length as a 4-byte big-endian integer. The decoder keeps one growing buffer
// and hands out frames as copies the caller may keep; it never throws on a bad stream, it
// reports the lost sync and drops what it has, as a NIC drops a garbled frame.

/** Longest frame accepted: a 64 KiB IP packet in an Ethernet frame (anything larger is a lost stream). */
export const MAX_STREAM_FRAME_BYTES = 65535 + 14;

export class FrameStreamDecoder {
  private buf = new Uint8Array(1 << 18);
  private start = 0;
  private end = 0;
  /** Times the stream lost sync (a length beyond the longest frame accepted). */
  desyncs = 0;

  constructor(
    private readonly onFrame: (frame: Uint8Array) => void,
    /** Longest frame accepted; a vnet-header stream carries 12 bytes more than MAX_STREAM_FRAME_BYTES. */
    private readonly maxFrameBytes = MAX_STREAM_FRAME_BYTES,
  ) {}

  push(chunk: Uint8Array): void {
    if (this.buf.length - this.end < chunk.length) this.makeRoom(chunk.length);
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
    const b = this.buf;
    while (this.end - this.start >= 4) {
      const s = this.start;
      const len = ((b[s]! << 24) | (b[s + 1]! << 16) | (b[s + 2]! << 8) | b[s + 3]!) >>> 0;
      if (len > this.maxFrameBytes) {
        this.desyncs++;
        this.start = this.end = 0;
        return;
      }
      if (this.end - s - 4 < len) break;
      this.start = s + 4 + len;
      this.onFrame(b.slice(s + 4, s + 4 + len));
    }
    if (this.start === this.end) this.start = this.end = 0;
  }

  private makeRoom(extra: number): void {
    const live = this.end - this.start;
    const target = live + extra;
    const next = target <= this.buf.length ? this.buf : new Uint8Array(Math.max(target, this.buf.length * 2));
    if (next === this.buf) this.buf.copyWithin(0, this.start, this.end);
    else next.set(this.buf.subarray(this.start, this.end), 0);
    this.buf = next;
    this.start = 0;
    this.end = live;
  }
}

/** One frame in stream framing: the 4-byte big-endian length, then the frame. */
export function encodeStreamFrame(frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + frame.length);
  const n = frame.length;
  out[0] = n >>> 24;
  out[1] = (n >>> 16) & 0xff;
  out[2] = (n >>> 8) & 0xff;
  out[3] = n & 0xff;
  out.set(frame, 4);
  return out;
}
