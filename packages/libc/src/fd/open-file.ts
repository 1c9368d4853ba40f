// What a file descriptor refers to: an open file description (POSIX's term) — a console, a
// VFS file or directory, a pipe, a socket. The fd table holds these; WASI and the POSIX API
// for JS apps both go through them.
import type { WaitQueue } from '@osv-ts/core-sched';

export type FileKind =
  | 'unknown'
  | 'block-device'
  | 'character-device'
  | 'directory'
  | 'regular-file'
  | 'socket-dgram'
  | 'socket-stream'
  | 'symbolic-link'
  | 'fifo';

export interface FileStat {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly kind: FileKind;
  readonly nlink: bigint;
  readonly size: bigint;
  /** Nanoseconds since the epoch. */
  readonly atimeNs: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
  /** POSIX mode bits (type and permissions). */
  readonly mode?: number;
}

/** File status flags (Linux O_* values for the ones fcntl F_GETFL/F_SETFL see). */
export const StatusFlag = {
  APPEND: 0o2000,
  NONBLOCK: 0o4000,
  DSYNC: 0o10000,
  SYNC: 0o4010000,
  RSYNC: 0o4010000,
} as const;

export interface OpenFile {
  readonly kind: FileKind;
  /** O_APPEND / O_NONBLOCK / O_*SYNC. */
  statusFlags: number;
  readonly readable: boolean;
  readonly writable: boolean;
  /** Reads into the buffers in order; returns bytes read (0 = end of file). Throws EAGAIN when non-blocking and empty. */
  read(into: readonly Uint8Array[]): number;
  /** Writes the buffers in order; returns bytes written. */
  write(from: readonly Uint8Array[]): number;
  pread?(into: readonly Uint8Array[], offset: bigint): number;
  pwrite?(from: readonly Uint8Array[], offset: bigint): number;
  /** Moves the offset (whence: 0 SET, 1 CUR, 2 END); returns the new offset. ESPIPE when not seekable. */
  seek?(offset: bigint, whence: 0 | 1 | 2): bigint;
  stat(): FileStat;
  sync?(): void;
  datasync?(): void;
  truncate?(size: bigint): void;
  /** Called when the last descriptor referring to the description is closed. */
  close(): void;
  /** Readiness, for poll_oneoff/poll. */
  pollReadable?(): boolean;
  pollWritable?(): boolean;
  /** Woken when readiness may have changed. */
  readonly readiness?: WaitQueue;
  readonly isTerminal?: boolean;
}
