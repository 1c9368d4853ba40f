// stdin when no host input is connected: reads end of file at once, like </dev/null.
import type { FileStat, OpenFile } from '@osv-ts/libc';

export class EmptyInputFile implements OpenFile {
  readonly kind = 'character-device' as const;
  statusFlags = 0;
  readonly readable = true;
  readonly writable = false;
  read(): number {
    return 0;
  }
  write(): number {
    return 0;
  }
  stat(): FileStat {
    return {
      dev: 0n,
      ino: 1n,
      kind: 'character-device',
      nlink: 1n,
      size: 0n,
      atimeNs: 0n,
      mtimeNs: 0n,
      ctimeNs: 0n,
      mode: 0o20666,
    };
  }
  close(): void {}
  pollReadable(): boolean {
    return true;
  }
}
