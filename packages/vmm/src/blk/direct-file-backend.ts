// A raw image file served synchronously on a device thread (vhost-style): each request is a
// pread/pwrite straight between the file and the guest's buffer in guest RAM, with no copy and
// no trip through an event loop. Used by the virtio-blk device thread; the VMM's own thread
// keeps the asynchronous RawFileBackend. I/O errors fail the request (VIRTIO_BLK_S_IOERR), so
// the guest sees EIO and keeps running.
import { fdatasyncSync, fstatSync, readSync, writeSync } from 'node:fs';
import { BackendError, type BackendDone, type BlockBackend } from '@osv-ts/drivers-virtio';

const ZERO_CHUNK = new Uint8Array(1 << 20);

export class DirectFileBackend implements BlockBackend {
  readonly sizeBytes: number;
  readonly counters = { reads: 0, writes: 0, flushes: 0, errors: 0 };

  /** Serves the open file `fd` of `path`; the caller keeps (and finally closes) the descriptor. */
  constructor(
    readonly path: string,
    readonly fd: number,
    readonly readOnly: boolean,
  ) {
    this.sizeBytes = fstatSync(fd).size;
  }

  read(offsetBytes: number, into: Uint8Array, done: BackendDone): void {
    this.counters.reads++;
    try {
      let at = 0;
      while (at < into.length) {
        const n = readSync(this.fd, into, at, into.length - at, offsetBytes + at);
        if (n === 0) {
          into.fill(0, at); // a sparse tail reads as zeroes
          break;
        }
        at += n;
      }
    } catch (e) {
      return this.failed(e, done);
    }
    done();
  }

  write(offsetBytes: number, data: Uint8Array, done: BackendDone): void {
    this.counters.writes++;
    if (this.readOnly) return done(new BackendError(`${this.path} is read-only`));
    try {
      let at = 0;
      while (at < data.length) at += writeSync(this.fd, data, at, data.length - at, offsetBytes + at);
    } catch (e) {
      return this.failed(e, done);
    }
    done();
  }

  flush(done: BackendDone): void {
    this.counters.flushes++;
    try {
      fdatasyncSync(this.fd);
    } catch (e) {
      return this.failed(e, done);
    }
    done();
  }

  discard(_offsetBytes: number, _lengthBytes: number, done: BackendDone): void {
    done(); // a hint (§5.2.6.2); node:fs cannot punch holes
  }

  writeZeroes(offsetBytes: number, lengthBytes: number, done: BackendDone): void {
    let error: Error | undefined;
    for (let at = 0; at < lengthBytes && !error; at += ZERO_CHUNK.length) {
      this.write(offsetBytes + at, ZERO_CHUNK.subarray(0, Math.min(ZERO_CHUNK.length, lengthBytes - at)), (e) => {
        error = e;
      });
    }
    done(error);
  }

  private failed(e: unknown, done: BackendDone): void {
    this.counters.errors++;
    done(new BackendError(`${this.path}: ${(e as Error).message}`));
  }
}
