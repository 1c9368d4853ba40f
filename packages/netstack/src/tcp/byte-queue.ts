// A FIFO of bytes over one growable buffer: append at the tail, consume at the head, and read
// any range by offset. The live bytes are compacted to the front when the head passes half the
// buffer, so a steady stream allocates nothing.

export class ByteQueue {
  private buf: Uint8Array;
  private head = 0;
  private tail = 0;

  constructor(initialCapacity = 4096) {
    this.buf = new Uint8Array(initialCapacity);
  }

  get length(): number {
    return this.tail - this.head;
  }

  /** Appends bytes. */
  push(data: Uint8Array, offset = 0, length = data.length - offset): void {
    if (length <= 0) return;
    this.reserve(length);
    this.buf.set(data.subarray(offset, offset + length), this.tail);
    this.tail += length;
  }

  /** A view of `length` bytes starting `offset` bytes after the head (valid until the next push). */
  view(offset: number, length: number): Uint8Array {
    return this.buf.subarray(this.head + offset, this.head + offset + length);
  }

  /** Copies up to out.length bytes from the head into `out` and consumes them. */
  read(out: Uint8Array): number {
    const n = Math.min(out.length, this.length);
    out.set(this.buf.subarray(this.head, this.head + n));
    this.consume(n);
    return n;
  }

  consume(n: number): void {
    this.head += Math.min(n, this.length);
    if (this.head === this.tail) this.head = this.tail = 0;
  }

  private reserve(extra: number): void {
    if (this.tail + extra <= this.buf.length) return;
    const live = this.length;
    // Compact only once the head has passed half the buffer, so each byte is moved O(1) times.
    if (this.head >= this.buf.length / 2 && live + extra <= this.buf.length) {
      this.buf.copyWithin(0, this.head, this.tail);
    } else {
      let cap = this.buf.length * 2;
      while (cap < live + extra) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.buf.subarray(this.head, this.tail));
      this.buf = next;
    }
    this.head = 0;
    this.tail = live;
  }
}
