// A window of a BlockDevice (an MBR partition): offsets are checked against the window and
// shifted by its start, so a file system on `vblk0.1` cannot touch the rest of the disk.
import { Errno, KernelError, type BlockDevice } from '@osv-ts/kernel-api';

export class PartitionBlockDevice implements BlockDevice {
  constructor(
    readonly name: string,
    readonly disk: BlockDevice,
    readonly startBytes: number,
    readonly sizeBytes: number,
  ) {}

  get sectorSizeBytes(): number {
    return this.disk.sectorSizeBytes;
  }

  get readOnly(): boolean {
    return this.disk.readOnly;
  }

  read(offsetBytes: number, into: Uint8Array): void {
    this.check(offsetBytes, into.length);
    this.disk.read(this.startBytes + offsetBytes, into);
  }

  write(offsetBytes: number, data: Uint8Array): void {
    this.check(offsetBytes, data.length);
    this.disk.write(this.startBytes + offsetBytes, data);
  }

  flush(): void {
    this.disk.flush();
  }

  discard(offsetBytes: number, lengthBytes: number): void {
    this.check(offsetBytes, lengthBytes);
    this.disk.discard?.(this.startBytes + offsetBytes, lengthBytes);
  }

  private check(offsetBytes: number, lengthBytes: number): void {
    if (offsetBytes < 0 || lengthBytes < 0 || offsetBytes + lengthBytes > this.sizeBytes) {
      throw new KernelError(
        Errno.EINVAL,
        `${this.name}: ${offsetBytes}+${lengthBytes} outside the partition (${this.sizeBytes} bytes)`,
      );
    }
  }
}
