// A raw image file as a virtio-blk back-end: async node:fs on the VMM's thread, each request
// handed to libuv's thread pool at once, so requests overlap. I/O errors fail the request
// (VIRTIO_BLK_S_IOERR); the guest sees EIO and keeps running.
import { close, fdatasync, fstatSync, openSync, read, write } from 'node:fs';
import { BackendError, type BackendDone, type BlockBackend } from '@osv-ts/drivers-virtio';

const ZERO_CHUNK = new Uint8Array(1 << 20);

export class RawFileBackend implements BlockBackend {
  readonly sizeBytes: number;
  readonly counters = { reads: 0, writes: 0, flushes: 0, errors: 0 };

  private constructor(
    readonly path: string,
    readonly fd: number,
    readonly readOnly: boolean,
  ) {
    this.sizeBytes = fstatSync(fd).size;
  }

  static open(path: string, readOnly = false): RawFileBackend {
    return new RawFileBackend(path, openSync(path, readOnly ? 'r' : 'r+'), readOnly);
  }

  /** Takes over an open file descriptor of `path` (closed by close()). */
  static fromFd(path: string, fd: number, readOnly: boolean): RawFileBackend {
    return new RawFileBackend(path, fd, readOnly);
  }

  read(offsetBytes: number, into: Uint8Array, done: BackendDone): void {
    this.counters.reads++;
    const step = (at: number): void => {
      if (at === into.length) return done();
      read(this.fd, into, at, into.length - at, offsetBytes + at, (e, n) => {
        if (e) return this.failed(e, done);
        if (n === 0) {
          into.fill(0, at); // a sparse tail reads as zeroes
          return done();
        }
        step(at + n);
      });
    };
    step(0);
  }

  write(offsetBytes: number, data: Uint8Array, done: BackendDone): void {
    this.counters.writes++;
    if (this.readOnly) return done(new BackendError(`${this.path} is read-only`));
    const step = (at: number): void => {
      if (at === data.length) return done();
      write(this.fd, data, at, data.length - at, offsetBytes + at, (e, n) => (e ? this.failed(e, done) : step(at + n)));
    };
    step(0);
  }

  flush(done: BackendDone): void {
    this.counters.flushes++;
    fdatasync(this.fd, (e) => (e ? this.failed(e, done) : done()));
  }

  discard(_offsetBytes: number, _lengthBytes: number, done: BackendDone): void {
    // A hint (§5.2.6.2); punching holes needs fallocate, which node:fs does not offer.
    done();
  }

  writeZeroes(offsetBytes: number, lengthBytes: number, done: BackendDone): void {
    if (lengthBytes === 0) return done();
    const n = Math.min(lengthBytes, ZERO_CHUNK.length);
    this.write(offsetBytes, ZERO_CHUNK.subarray(0, n), (e) =>
      e ? done(e) : this.writeZeroes(offsetBytes + n, lengthBytes - n, done),
    );
  }

  close(): void {
    close(this.fd, () => undefined);
  }

  private failed(e: Error, done: BackendDone): void {
    this.counters.errors++;
    done(new BackendError(`${this.path}: ${e.message}`));
  }
}
