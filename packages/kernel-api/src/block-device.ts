/**
 * A random-access block device (virtio-blk, a partition of one, a memory or file image).
 * Offsets and lengths are in bytes and must be multiples of `sectorSizeBytes`.
 *
 * Calls block the calling thread until the I/O completes (in the guest: the blocking adapter
 * runs the scheduler until the device's interrupt; in plain Node: synchronous file I/O).
 * Failures throw `KernelError(EIO)` (or `EROFS`, `EINVAL` for bad requests).
 */
export interface BlockDevice {
  readonly name: string;
  readonly sectorSizeBytes: number;
  readonly sizeBytes: number;
  readonly readOnly: boolean;
  read(offsetBytes: number, into: Uint8Array): void;
  write(offsetBytes: number, data: Uint8Array): void;
  /** Makes every completed write durable (virtio-blk FLUSH). */
  flush(): void;
  /** Optional: tells the device the range holds no data (virtio-blk DISCARD). */
  discard?(offsetBytes: number, lengthBytes: number): void;
}
