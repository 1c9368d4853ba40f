// A console (virtio-console port, host stream) as an open file: stdin/stdout/stderr.
import { Errno, KernelError, type Console } from '@osv-ts/kernel-api';
import type { WaitQueue } from '@osv-ts/core-sched';
import type { FileStat, OpenFile } from './open-file.js';

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

  write(from: readonly Uint8Array[]): number {
    if (!this.writable) throw new KernelError(Errno.EBADF);
    let n = 0;
    for (const b of from) {
      this.console.write(b);
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
    if (this.writable) this.console.flush();
  }

  pollReadable(): boolean {
    return this.readable;
  }

  pollWritable(): boolean {
    return this.writable;
  }
}
