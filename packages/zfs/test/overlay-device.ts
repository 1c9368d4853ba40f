// A BlockDevice that reads through to a base device and keeps writes (and injected damage) in
// memory: cheap copies of a pool image for fuzzing.
import { Errno, KernelError, type BlockDevice } from '@osv-ts/kernel-api';

export class OverlayDevice implements BlockDevice {
  readonly sectorSizeBytes: number;
  readonly sizeBytes: number;
  readonly readOnly = false;
  readonly name: string;
  private readonly patches = new Map<number, Uint8Array>();

  constructor(readonly base: BlockDevice) {
    this.sectorSizeBytes = base.sectorSizeBytes;
    this.sizeBytes = base.sizeBytes;
    this.name = `${base.name}+overlay`;
  }

  read(offsetBytes: number, into: Uint8Array): void {
    this.base.read(offsetBytes, into);
    const s = this.sectorSizeBytes;
    for (const [sector, bytes] of this.patches) {
      const start = sector * s;
      if (start + s <= offsetBytes || start >= offsetBytes + into.length) continue;
      const from = Math.max(start, offsetBytes);
      const to = Math.min(start + s, offsetBytes + into.length);
      into.set(bytes.subarray(from - start, to - start), from - offsetBytes);
    }
  }

  write(offsetBytes: number, data: Uint8Array): void {
    if (offsetBytes + data.length > this.sizeBytes) throw new KernelError(Errno.EINVAL, 'write past end');
    const s = this.sectorSizeBytes;
    for (let sector = Math.floor(offsetBytes / s); sector * s < offsetBytes + data.length; sector++) {
      const cur = new Uint8Array(s);
      this.read(sector * s, cur);
      const from = Math.max(sector * s, offsetBytes);
      const to = Math.min((sector + 1) * s, offsetBytes + data.length);
      cur.set(data.subarray(from - offsetBytes, to - offsetBytes), from - sector * s);
      this.patches.set(sector, cur);
    }
  }

  /** XORs `mask` into the byte at `offsetBytes`. */
  flip(offsetBytes: number, mask = 0xff): void {
    const b = new Uint8Array(1);
    this.read(offsetBytes, b);
    b[0]! ^= mask || 1;
    this.write(offsetBytes, b);
  }

  flush(): void {}
}
