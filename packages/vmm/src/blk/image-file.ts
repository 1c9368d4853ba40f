// Synchronous random access to an image file, for the qcow2 code and the boot firmware (which
// read metadata before anything else runs). Reads past the end of the file return zeroes, as
// a sparse file would.
import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import { openImageForRewrite } from './disk-lock.js';

export interface ImageFile {
  sizeBytes(): number;
  read(positionBytes: number, into: Uint8Array): void;
  write(positionBytes: number, data: Uint8Array): void;
  sync(): void;
  close(): void;
}

export class NodeImageFile implements ImageFile {
  private size: number;

  private constructor(
    readonly path: string,
    readonly fd: number,
    readonly readOnly: boolean,
  ) {
    this.size = fstatSync(fd).size;
  }

  static open(path: string, readOnly = false): NodeImageFile {
    return new NodeImageFile(path, openSync(path, readOnly ? 'r' : 'r+'), readOnly);
  }

  /** Takes over an open file descriptor of `path` (closed by close()). */
  static fromFd(path: string, fd: number, readOnly: boolean): NodeImageFile {
    return new NodeImageFile(path, fd, readOnly);
  }

  /** Creates (or empties) `path` under a writer's lock: an image a VM has open is refused. */
  static create(path: string): NodeImageFile {
    return new NodeImageFile(path, openImageForRewrite(path), false);
  }

  sizeBytes(): number {
    return this.size;
  }

  read(positionBytes: number, into: Uint8Array): void {
    let done = 0;
    while (done < into.length) {
      const n = readSync(this.fd, into, done, into.length - done, positionBytes + done);
      if (n === 0) break;
      done += n;
    }
    into.fill(0, done);
  }

  write(positionBytes: number, data: Uint8Array): void {
    let done = 0;
    while (done < data.length) done += writeSync(this.fd, data, done, data.length - done, positionBytes + done);
    this.size = Math.max(this.size, positionBytes + data.length);
  }

  sync(): void {
    fsyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** An image held in memory (tests, fuzzing, building an image before writing it out). */
export class MemoryImageFile implements ImageFile {
  private bytes: Uint8Array;
  private size: number;

  constructor(initial: Uint8Array = new Uint8Array(0)) {
    this.bytes = initial.slice();
    this.size = initial.length;
  }

  sizeBytes(): number {
    return this.size;
  }

  contents(): Uint8Array {
    return this.bytes.subarray(0, this.size);
  }

  read(positionBytes: number, into: Uint8Array): void {
    into.fill(0);
    if (positionBytes >= this.size) return;
    into.set(this.bytes.subarray(positionBytes, Math.min(this.size, positionBytes + into.length)));
  }

  write(positionBytes: number, data: Uint8Array): void {
    const end = positionBytes + data.length;
    if (end > this.bytes.length) {
      const grown = new Uint8Array(Math.max(end, this.bytes.length * 2));
      grown.set(this.bytes.subarray(0, this.size));
      this.bytes = grown;
    }
    this.bytes.set(data, positionBytes);
    this.size = Math.max(this.size, end);
  }

  sync(): void {}

  close(): void {}
}
