// A single-producer single-consumer ring of frames in a SharedArrayBuffer: how a TAP back-end's
// reader thread (blocked in read(2) on the relay's FIFO) hands received frames to the device
// thread that owns the receive virtqueue. Records are a 4-byte length and the frame, padded to 4
// bytes; a record that does not fit before the end of the data area is preceded by a wrap mark
// and starts again at 0. Head and tail are byte offsets that only grow (mod 2^32), so
// `tail - head` is the bytes in use; each side writes only its own index (Atomics.store after
// the data, Atomics.load before reading it), the release/acquire pair an SPSC ring needs.

const HEAD = 0;
const TAIL = 1;
const HEADER_BYTES = 16;
/** A length no frame has: the rest of the data area is unused, the next record is at 0. */
const WRAP = 0xffffffff;

export class FrameRing {
  readonly buffer: SharedArrayBuffer;
  private readonly indices: Int32Array;
  private readonly data: Uint8Array;
  private readonly lengths: DataView;
  readonly capacity: number;

  /** A new ring of `capacityBytes` (a multiple of 4), or one over the buffer another thread made. */
  constructor(capacityOrBuffer: number | SharedArrayBuffer) {
    this.buffer =
      typeof capacityOrBuffer === 'number' ? new SharedArrayBuffer(HEADER_BYTES + capacityOrBuffer) : capacityOrBuffer;
    this.capacity = this.buffer.byteLength - HEADER_BYTES;
    if (this.capacity <= 0 || this.capacity % 4 !== 0)
      throw new RangeError(`frame ring of ${this.capacity} bytes (a positive multiple of 4)`);
    this.indices = new Int32Array(this.buffer, 0, 2);
    this.data = new Uint8Array(this.buffer, HEADER_BYTES);
    this.lengths = new DataView(this.buffer, HEADER_BYTES);
  }

  /** The word the consumer's index lives in, for a producer that waits for room. */
  get headIndex(): { words: Int32Array; index: number } {
    return { words: this.indices, index: HEAD };
  }

  /** Producer: copies the frame in; false when it does not fit now (the consumer is behind). */
  push(frame: Uint8Array): boolean {
    const record = 4 + align4(frame.length);
    if (record > this.capacity / 2)
      throw new RangeError(`a ${frame.length}-byte frame in a ${this.capacity}-byte ring`);
    const head = Atomics.load(this.indices, HEAD) >>> 0;
    let tail = Atomics.load(this.indices, TAIL) >>> 0;
    let at = tail % this.capacity;
    let need = record;
    const untilEnd = this.capacity - at;
    if (untilEnd < record) need += untilEnd;
    if (((tail - head) >>> 0) + need > this.capacity) return false;
    if (untilEnd < record) {
      if (untilEnd >= 4) this.lengths.setUint32(at, WRAP, true);
      tail = (tail + untilEnd) >>> 0;
      at = 0;
    }
    this.lengths.setUint32(at, frame.length, true);
    this.data.set(frame, at + 4);
    Atomics.store(this.indices, TAIL, (tail + record) | 0);
    return true;
  }

  /** Consumer: the next frame (a copy), or undefined when the ring is empty. */
  pop(): Uint8Array | undefined {
    let head = Atomics.load(this.indices, HEAD) >>> 0;
    const tail = Atomics.load(this.indices, TAIL) >>> 0;
    if (head === tail) return undefined;
    let at = head % this.capacity;
    const untilEnd = this.capacity - at;
    if (untilEnd < 4 || this.lengths.getUint32(at, true) === WRAP) {
      head = (head + untilEnd) >>> 0;
      at = 0;
    }
    const n = this.lengths.getUint32(at, true);
    const frame = this.data.slice(at + 4, at + 4 + n);
    Atomics.store(this.indices, HEAD, (head + 4 + align4(n)) | 0);
    Atomics.notify(this.indices, HEAD);
    return frame;
  }
}

function align4(n: number): number {
  return (n + 3) & ~3;
}
