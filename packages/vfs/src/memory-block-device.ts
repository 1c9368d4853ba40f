// A BlockDevice over a Uint8Array: an image buffer handed to the kernel before virtio-blk (the
// issue's "buffer-backed block device"), and the device under test for the ROFS driver.
// Requests are checked like a disk checks them: aligned to the sector size and inside the device.
import type { BlockDevice } from '@osv-ts/kernel-api';
import { Errno, KernelError } from '@osv-ts/kernel-api';

export class MemoryBlockDevice implements BlockDevice {
  readonly sizeBytes: number;
  /** Reads served, and bytes they moved (for tests and diagnostics). */
  readCount = 0;
  bytesRead = 0;

  constructor(
    private readonly bytes: Uint8Array,
    readonly name = 'mem0',
    readonly readOnly = false,
    readonly sectorSizeBytes = 512,
  ) {
    // A trailing partial sector is not addressable.
    this.sizeBytes = bytes.length - (bytes.length % sectorSizeBytes);
  }

  read(offsetBytes: number, into: Uint8Array): void {
    this.check(offsetBytes, into.length);
    into.set(this.bytes.subarray(offsetBytes, offsetBytes + into.length));
    this.readCount++;
    this.bytesRead += into.length;
  }

  write(offsetBytes: number, data: Uint8Array): void {
    if (this.readOnly) throw new KernelError(Errno.EROFS, `${this.name} is read-only`);
    this.check(offsetBytes, data.length);
    this.bytes.set(data, offsetBytes);
  }

  flush(): void {}

  private check(offset: number, length: number): void {
    const s = this.sectorSizeBytes;
    if (!Number.isSafeInteger(offset) || offset < 0 || offset % s !== 0 || length % s !== 0) {
      throw new KernelError(Errno.EINVAL, `${this.name}: unaligned request at ${offset} of ${length} bytes`);
    }
    if (offset + length > this.sizeBytes) {
      throw new KernelError(
        Errno.EIO,
        `${this.name}: request at ${offset} of ${length} bytes past the end (${this.sizeBytes})`,
      );
    }
  }
}
