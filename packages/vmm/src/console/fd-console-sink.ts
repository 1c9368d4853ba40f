// The console back-end for the host's stdout and stderr: the guest's output is written to a file
// descriptor with write(2), in order and before the transmit buffer goes back to the guest, as a
// Unix tool writes its output. A failure that later writes cannot cure (EPIPE: the reader went
// away; ENOSPC, EIO, EFBIG: the file cannot take more) ends the output: the sink records the
// errno for the console device to report to the guest, and drops what comes after.
import { writeSync } from 'node:fs';
import { Errno } from '@osv-ts/kernel-api';
import type { ConsoleSink } from '@osv-ts/drivers-virtio';

/** How long to wait before retrying a write to a non-blocking descriptor that is full. */
const RETRY_WAIT_MS = 1;

const sleeper = new Int32Array(new SharedArrayBuffer(4));

export class FdConsoleSink implements ConsoleSink {
  /** Linux errno of the write that failed; undefined while output is delivered. */
  errno: number | undefined;
  /** Node's code for that failure (`EPIPE`, `ENOSPC`, …). */
  errorCode: string | undefined;
  /** The failure as the host described it (`ENOSPC: no space left on device`). */
  errorText: string | undefined;
  /** Bytes written to the descriptor. */
  bytesWritten = 0;

  constructor(
    /** The descriptor, e.g. 1 for stdout. */
    readonly fd: number,
  ) {}

  write(bytes: Uint8Array): void {
    if (this.errno !== undefined) return;
    let at = 0;
    while (at < bytes.length) {
      let n: number;
      try {
        n = writeSync(this.fd, bytes, at, bytes.length - at);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
        // A descriptor someone set O_NONBLOCK on (a shared pipe, a terminal): wait as a
        // blocking write(2) would.
        if (code === 'EAGAIN' || code === 'EINTR') {
          Atomics.wait(sleeper, 0, 0, RETRY_WAIT_MS);
          continue;
        }
        this.errorCode = code;
        this.errorText = `${code}: ${/^[A-Z0-9]+: ([^,]*)/.exec((e as Error).message)?.[1] ?? 'write failed'}`;
        this.errno = code in Errno ? Errno[code as keyof typeof Errno] : Errno.EIO;
        return;
      }
      at += n;
      this.bytesWritten += n;
    }
  }
}
