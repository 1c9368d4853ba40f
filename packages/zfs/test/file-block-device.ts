/// <reference types="node" />
// A BlockDevice over a file with synchronous node:fs I/O (tests and benches only).
import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import { Errno, KernelError, type BlockDevice } from '@osv-ts/kernel-api';

export class FileBlockDevice implements BlockDevice {
  readonly sectorSizeBytes = 512;
  readonly sizeBytes: number;
  private fd: number;
  reads = 0;
  writes = 0;

  constructor(
    readonly name: string,
    readonly readOnly = true,
  ) {
    this.fd = openSync(name, readOnly ? 'r' : 'r+');
    this.sizeBytes = fstatSync(this.fd).size;
  }

  read(offsetBytes: number, into: Uint8Array): void {
    this.reads++;
    let done = 0;
    while (done < into.length) {
      const n = readSync(this.fd, into, done, into.length - done, offsetBytes + done);
      if (n <= 0) throw new KernelError(Errno.EIO, `short read at ${offsetBytes + done} of ${this.name}`);
      done += n;
    }
  }

  write(offsetBytes: number, data: Uint8Array): void {
    if (this.readOnly) throw new KernelError(Errno.EROFS, this.name);
    if (offsetBytes + data.length > this.sizeBytes) throw new KernelError(Errno.EINVAL, 'write past end');
    this.writes++;
    let done = 0;
    while (done < data.length) done += writeSync(this.fd, data, done, data.length - done, offsetBytes + done);
  }

  flush(): void {
    if (!this.readOnly) fsyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** An in-memory BlockDevice (for format tests and simulations). */
export class MemoryBlockDevice implements BlockDevice {
  readonly sectorSizeBytes = 512;
  readonly readOnly = false;
  constructor(
    readonly name: string,
    readonly bytes: Uint8Array,
  ) {}
  get sizeBytes(): number {
    return this.bytes.length;
  }
  read(offsetBytes: number, into: Uint8Array): void {
    if (offsetBytes + into.length > this.bytes.length) throw new KernelError(Errno.EIO, 'read past end');
    into.set(this.bytes.subarray(offsetBytes, offsetBytes + into.length));
  }
  write(offsetBytes: number, data: Uint8Array): void {
    if (offsetBytes + data.length > this.bytes.length) throw new KernelError(Errno.EIO, 'write past end');
    this.bytes.set(data, offsetBytes);
  }
  flush(): void {}
}
