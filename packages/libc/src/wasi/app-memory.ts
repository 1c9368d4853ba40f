// Bounds-checked access to the app's linear memory. Every pointer and length a WASI call gets
// from the app goes through here: out of bounds is EFAULT for the app, never an exception
// inside the kernel.
import { Errno, KernelError } from '@osv-ts/kernel-api';

export class AppMemory {
  private buffer: ArrayBuffer | SharedArrayBuffer | undefined;
  /** The attached memory's buffer is a SharedArrayBuffer: it grows in place, never detaches. */
  private shared = false;
  private u8 = new Uint8Array(0);
  private dv = new DataView(new ArrayBuffer(0));

  constructor(private memory: WebAssembly.Memory | undefined = undefined) {
    if (memory) this.attach(memory);
  }

  attach(memory: WebAssembly.Memory): void {
    this.memory = memory;
    this.buffer = undefined;
    this.shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  }

  /** Re-derives views when the memory grew (memory.grow detaches the old buffer). */
  private refresh(): void {
    // Fast path, on every system call: a non-shared buffer that is not detached is current
    // (reading memory.buffer is a slow accessor). A shared one does not detach when it grows,
    // so it is re-read, and only when the access falls beyond the length last seen (check()).
    const b = this.buffer;
    if (b !== undefined && b.byteLength !== 0 && !this.shared) return;
    const m = this.memory;
    if (!m) throw new KernelError(Errno.EFAULT, 'the app exports no memory');
    if (m.buffer !== this.buffer) {
      this.buffer = m.buffer;
      this.u8 = new Uint8Array(m.buffer);
      this.dv = new DataView(m.buffer);
    }
  }

  check(ptr: number, len: number): void {
    // In bounds of the views last derived: they are still current unless a non-shared memory
    // grew (detaching them: length 0, so this test fails and refresh() runs; so it does before
    // the first access, and for a memory of no pages).
    const length = this.u8.length;
    if (ptr >= 0 && len >= 0 && ptr + len <= length && length !== 0) return;
    this.refresh();
    if (ptr < 0 || len < 0 || ptr + len > this.u8.length) {
      throw new KernelError(Errno.EFAULT, `[${ptr}, +${len}) outside app memory of ${this.u8.length} bytes`);
    }
  }

  bytes(ptr: number, len: number): Uint8Array {
    ptr >>>= 0;
    len >>>= 0;
    this.check(ptr, len);
    // The constructor, not u8.subarray(): subarray looks up a species constructor and costs
    // about twice as much, on every fd_read/fd_write iovec. check() made `buffer` current.
    return new Uint8Array(this.buffer as ArrayBuffer, ptr, len);
  }

  /** Whether [ptr, ptr + len) holds exactly `expected` (EFAULT when out of bounds); no view made. */
  equals(ptr: number, len: number, expected: Uint8Array): boolean {
    ptr >>>= 0;
    len >>>= 0;
    this.check(ptr, len);
    if (len !== expected.length) return false;
    const u8 = this.u8;
    for (let i = 0; i < len; i++) if (u8[ptr + i] !== expected[i]) return false;
    return true;
  }

  view(ptr: number, len: number): DataView {
    this.check(ptr >>> 0, len >>> 0);
    return this.dv;
  }

  u32(ptr: number): number {
    ptr >>>= 0;
    return this.view(ptr, 4).getUint32(ptr, true);
  }

  setU8(ptr: number, v: number): void {
    ptr >>>= 0;
    this.view(ptr, 1).setUint8(ptr, v);
  }

  setU16(ptr: number, v: number): void {
    ptr >>>= 0;
    this.view(ptr, 2).setUint16(ptr, v, true);
  }

  setU32(ptr: number, v: number): void {
    ptr >>>= 0;
    this.view(ptr, 4).setUint32(ptr, v, true);
  }

  setU64(ptr: number, v: bigint): void {
    ptr >>>= 0;
    this.view(ptr, 8).setBigUint64(ptr, BigInt.asUintN(64, v), true);
  }

  /**
   * Stores a u64 given as a non-negative integer Number (exact below 2^53: monotonic time,
   * sizes, offsets) as two u32 halves, so the hot calls allocate no BigInt.
   */
  setU64Number(ptr: number, v: number): void {
    ptr >>>= 0;
    const dv = this.view(ptr, 8);
    const hi = Math.floor(v / 0x1_0000_0000);
    dv.setUint32(ptr, v - hi * 0x1_0000_0000, true);
    dv.setUint32(ptr + 4, hi, true);
  }

  u64(ptr: number): bigint {
    ptr >>>= 0;
    return this.view(ptr, 8).getBigUint64(ptr, true);
  }

  string(ptr: number, len: number): string {
    return utf8.decode(this.bytes(ptr, len));
  }

  /** iovec array (§ witx `iovec`: buf u32, buf_len u32) → views into app memory. */
  iovecs(ptr: number, count: number): Uint8Array[] {
    count >>>= 0;
    if (count > 1024) throw new KernelError(Errno.EINVAL, `iovcnt ${count} > IOV_MAX`);
    const out: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const at = (ptr >>> 0) + i * 8;
      out.push(this.bytes(this.u32(at), this.u32(at + 4)));
    }
    return out;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
