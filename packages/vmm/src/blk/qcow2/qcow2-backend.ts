// A qcow2 image as a virtio-blk back-end. The image code is synchronous (metadata updates must
// not interleave), so each request completes before the next starts, on the VMM's thread.
// Any failure — an I/O error or a corrupt table met on the way — fails only that request.
import { BackendError, type BackendDone, type BlockBackend } from '@osv-ts/drivers-virtio';
import type { Qcow2Image } from './qcow2-image.js';

export class Qcow2Backend implements BlockBackend {
  constructor(readonly image: Qcow2Image) {}

  get sizeBytes(): number {
    return this.image.sizeBytes;
  }

  get readOnly(): boolean {
    return this.image.readOnly;
  }

  read(offsetBytes: number, into: Uint8Array, done: BackendDone): void {
    this.run(() => this.image.read(offsetBytes, into), done);
  }

  write(offsetBytes: number, data: Uint8Array, done: BackendDone): void {
    this.run(() => this.image.write(offsetBytes, data), done);
  }

  flush(done: BackendDone): void {
    this.run(() => this.image.flush(), done);
  }

  discard(offsetBytes: number, lengthBytes: number, done: BackendDone): void {
    this.run(() => this.image.writeZeroes(offsetBytes, lengthBytes), done);
  }

  writeZeroes(offsetBytes: number, lengthBytes: number, done: BackendDone): void {
    this.run(() => this.image.writeZeroes(offsetBytes, lengthBytes), done);
  }

  close(): void {
    this.image.file.close();
  }

  private run(op: () => void, done: BackendDone): void {
    let error: Error | undefined;
    try {
      op();
    } catch (e) {
      error = new BackendError(`qcow2: ${(e as Error).message}`);
    }
    done(error);
  }
}
