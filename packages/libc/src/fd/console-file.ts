// A console (virtio-console port, host stream) as an open file: stdin/stdout/stderr.
import { Errno, KernelError, type Console } from '@osv-ts/kernel-api';
import type { WaitQueue } from '@osv-ts/core-sched';
import { ProcessExit } from '../process.js';
import type { FileStat, OpenFile } from './open-file.js';

/** The status of a process killed by SIGPIPE (128 + 13), as a shell reports it. */
export const SIGPIPE_EXIT_STATUS = 141;

export class ConsoleFile implements OpenFile {
  readonly kind = 'character-device' as const;
  statusFlags = 0;

  constructor(
    private readonly console: Console,
    readonly readable: boolean,
    readonly writable: boolean,
    /** Blocks the caller until `ready()` holds (the scheduler's blocking adapter). */
    private readonly block: (ready: () => boolean) => void,
    private readonly inode: bigint,
    readonly readiness?: WaitQueue,
  ) {}

  get isTerminal(): boolean {
    return this.console.isTerminal;
  }

  read(into: readonly Uint8Array[]): number {
    if (!this.readable) throw new KernelError(Errno.EBADF);
    const first = into.find((b) => b.length > 0);
    if (!first || !this.console.read) return 0;
    let n = this.console.read(first);
    if (n < 0) {
      if (this.statusFlags & 0o4000) throw new KernelError(Errno.EAGAIN);
      this.block(() => (n = this.console.read!(first)) >= 0);
    }
    return n;
  }

  /**
   * Writes every buffer, or as many as the console took before it failed (POSIX write(): a
   * partial count, the error on the next call). A console whose host reader is gone (EPIPE)
   * ends the process as SIGPIPE's default action would (POSIX write() on a pipe without a
   * reader): a WASI app cannot catch or ignore signals, so the default is all it could have.
   */
  write(from: readonly Uint8Array[]): number {
    if (!this.writable) throw new KernelError(Errno.EBADF);
    let n = 0;
    for (const b of from) {
      try {
        this.console.write(b);
      } catch (e) {
        if (!(e instanceof KernelError)) throw e;
        if (e.errno === Errno.EPIPE) throw new ProcessExit(SIGPIPE_EXIT_STATUS);
        if (n > 0) return n;
        throw e;
      }
      n += b.length;
    }
    return n;
  }

  stat(): FileStat {
    return {
      dev: 0n,
      ino: this.inode,
      kind: 'character-device',
      nlink: 1n,
      size: 0n,
      atimeNs: 0n,
      mtimeNs: 0n,
      ctimeNs: 0n,
      mode: 0o20620,
    };
  }

  sync(): void {
    if (this.writable) this.console.flush();
  }

  close(): void {
    // close() after a failed write: the failure was reported by the write and by the host; the
    // descriptor goes away all the same.
    if (this.writable) {
      try {
        this.console.flush();
      } catch (e) {
        if (!(e instanceof KernelError)) throw e;
      }
    }
  }

  pollReadable(): boolean {
    return this.readable;
  }

  pollWritable(): boolean {
    return this.writable;
  }
}
