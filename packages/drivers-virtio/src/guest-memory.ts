// A view of guest physical RAM (one SharedArrayBuffer, docs/architecture.md §1) shared by the guest's
// drivers and the VMM's device models. Every access a device makes on behalf of the guest is
// bounds-checked here, so a bad address from the guest is an error, never a host crash.

export class GuestMemoryError extends Error {
  override readonly name = 'GuestMemoryError';
}

export class GuestMemory {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** 32-bit words for Atomics (index = address / 4). */
  readonly words: Int32Array;
  /** 16-bit halfwords for Atomics on ring indices (index = address / 2). */
  readonly halfwords: Uint16Array;

  constructor(readonly buffer: SharedArrayBuffer | ArrayBuffer) {
    this.bytes = new Uint8Array(buffer);
    this.view = new DataView(buffer);
    // Division, not `>>> 2`: a 4 GiB buffer's byteLength is 2^32, which >>> wraps to 0.
    this.words = new Int32Array(buffer, 0, Math.floor(buffer.byteLength / 4));
    this.halfwords = new Uint16Array(buffer, 0, Math.floor(buffer.byteLength / 2));
    if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
      // virtio 1.2 §2.4: rings are little-endian; Atomics on typed arrays use host order.
      throw new GuestMemoryError('osv-ts needs a little-endian host');
    }
  }

  get sizeBytes(): number {
    return this.bytes.length;
  }

  /** True when [address, address + length) lies inside RAM. */
  contains(address: number, length: number): boolean {
    return (
      Number.isInteger(address) &&
      Number.isInteger(length) &&
      address >= 0 &&
      length >= 0 &&
      address + length <= this.bytes.length
    );
  }

  check(address: number, length: number, what: string): void {
    if (!this.contains(address, length)) {
      throw new GuestMemoryError(
        `${what}: [0x${address.toString(16)}, +${length}) is outside guest RAM (${this.bytes.length} bytes)`,
      );
    }
  }

  /** A view (no copy) of guest RAM; throws GuestMemoryError when out of range. */
  slice(address: number, length: number, what = 'access'): Uint8Array {
    this.check(address, length, what);
    return this.bytes.subarray(address, address + length);
  }

  /** Index into `words` of an aligned 32-bit word, for Atomics. */
  wordIndex(address: number): number {
    if ((address & 3) !== 0) throw new GuestMemoryError(`unaligned word address 0x${address.toString(16)}`);
    this.check(address, 4, 'word');
    return address >>> 2;
  }
}
