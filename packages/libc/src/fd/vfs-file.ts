// An open file of the VFS (a regular file, directory, device node or pipe end) as libc's
// OpenFile: the fd table's view of a vfs File.
import type { File, LookupOptions, Stat } from '@osv-ts/vfs';
import { O_ACCMODE, O_RDONLY, POLLIN, POLLOUT, VType } from '@osv-ts/vfs';
import type { WaitQueue } from '@osv-ts/core-sched';
import type { FileKind, FileStat, OpenFile } from './open-file.js';

const KINDS: Record<number, FileKind> = {
  [VType.VREG]: 'regular-file',
  [VType.VDIR]: 'directory',
  [VType.VBLK]: 'block-device',
  [VType.VCHR]: 'character-device',
  [VType.VLNK]: 'symbolic-link',
  [VType.VSOCK]: 'socket-stream',
  [VType.VFIFO]: 'fifo',
};

export function kindOf(type: number): FileKind {
  return KINDS[type] ?? 'unknown';
}

export function toFileStat(st: Stat): FileStat {
  return {
    dev: BigInt(st.dev),
    ino: BigInt(st.ino),
    kind: kindOf(st.type),
    nlink: BigInt(st.nlink),
    size: BigInt(st.size),
    atimeNs: st.atimeNs,
    mtimeNs: st.mtimeNs,
    ctimeNs: st.ctimeNs,
    mode: st.mode,
  };
}

export class VfsFile implements OpenFile {
  readonly kind: FileKind;
  /**
   * Set on the WASI root preopen only: absolute symlinks met in lookups through this fd restart
   * at it (the top of the VM's namespace) instead of being escapes (wasi/preview1-fs.ts).
   */
  absoluteSymlinksAtRoot = false;
  /**
   * The lookup options of path calls through this directory fd ([no-follow, follow]), made on
   * first use by the WASI binding (wasi/preview1-fs.ts) instead of once per call.
   */
  lookupOptions: readonly [LookupOptions, LookupOptions] | undefined = undefined;

  constructor(
    readonly file: File,
    /** The path it was opened by (for /proc/self/fd and diagnostics). */
    readonly path: string,
  ) {
    this.kind = kindOf(file.vnode.type);
  }

  get statusFlags(): number {
    return this.file.flags & ~O_ACCMODE;
  }

  set statusFlags(flags: number) {
    this.file.setStatusFlags(flags);
  }

  get readable(): boolean {
    return this.file.readable || (this.kind === 'directory' && (this.file.flags & O_ACCMODE) === O_RDONLY);
  }

  get writable(): boolean {
    return this.file.writable;
  }

  get readiness(): WaitQueue | undefined {
    return this.file.readiness;
  }

  get isTerminal(): boolean {
    return this.file.isTerminal();
  }

  read(into: readonly Uint8Array[]): number {
    let n = 0;
    for (const b of into) {
      if (b.length === 0) continue;
      const k = this.file.read(b);
      n += k;
      if (k < b.length) break;
    }
    return n;
  }

  write(from: readonly Uint8Array[]): number {
    let n = 0;
    for (const b of from) {
      if (b.length === 0) continue;
      const k = this.file.write(b);
      n += k;
      if (k < b.length) break;
    }
    return n;
  }

  pread(into: readonly Uint8Array[], offset: bigint): number {
    let n = 0;
    let pos = Number(offset);
    for (const b of into) {
      if (b.length === 0) continue;
      const k = this.file.pread(b, pos);
      n += k;
      pos += k;
      if (k < b.length) break;
    }
    return n;
  }

  pwrite(from: readonly Uint8Array[], offset: bigint): number {
    let n = 0;
    let pos = Number(offset);
    for (const b of from) {
      if (b.length === 0) continue;
      const k = this.file.pwrite(b, pos);
      n += k;
      pos += k;
      if (k < b.length) break;
    }
    return n;
  }

  seek(offset: bigint, whence: 0 | 1 | 2): bigint {
    return BigInt(this.file.seek(Number(offset), whence));
  }

  stat(): FileStat {
    return toFileStat(this.file.stat());
  }

  sync(): void {
    this.file.fsync();
  }

  truncate(size: bigint): void {
    this.file.truncate(Number(size));
  }

  close(): void {
    this.file.close();
  }

  pollReadable(): boolean {
    return (this.file.poll(POLLIN) & ~POLLOUT) !== 0;
  }

  pollWritable(): boolean {
    return (this.file.poll(POLLOUT) & ~POLLIN) !== 0;
  }
}
