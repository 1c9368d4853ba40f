// WASI rights per file type (the most a descriptor of that type can hold), as uvwasi and
// wasmtime bound them, and the capability error.
import { Rights as R } from './preview1-types.js';
import type { FileKind } from '../fd/open-file.js';

/** WASI's ENOTCAPABLE: the descriptor lacks a right (no Linux errno corresponds). */
export class NotCapableError extends Error {
  override readonly name = 'NotCapableError';
}

const FILE_BASE =
  R.FD_DATASYNC |
  R.FD_READ |
  R.FD_SEEK |
  R.FD_FDSTAT_SET_FLAGS |
  R.FD_SYNC |
  R.FD_TELL |
  R.FD_WRITE |
  R.FD_ADVISE |
  R.FD_ALLOCATE |
  R.FD_FILESTAT_GET |
  R.FD_FILESTAT_SET_SIZE |
  R.FD_FILESTAT_SET_TIMES |
  R.POLL_FD_READWRITE;

const DIR_BASE =
  R.FD_FDSTAT_SET_FLAGS |
  R.FD_SYNC |
  R.FD_ADVISE |
  R.PATH_CREATE_DIRECTORY |
  R.PATH_CREATE_FILE |
  R.PATH_LINK_SOURCE |
  R.PATH_LINK_TARGET |
  R.PATH_OPEN |
  R.FD_READDIR |
  R.PATH_READLINK |
  R.PATH_RENAME_SOURCE |
  R.PATH_RENAME_TARGET |
  R.PATH_FILESTAT_GET |
  R.PATH_FILESTAT_SET_SIZE |
  R.PATH_FILESTAT_SET_TIMES |
  R.FD_FILESTAT_GET |
  R.FD_FILESTAT_SET_TIMES |
  R.PATH_SYMLINK |
  R.PATH_REMOVE_DIRECTORY |
  R.PATH_UNLINK_FILE |
  R.POLL_FD_READWRITE;

const TTY_BASE = R.FD_READ | R.FD_FDSTAT_SET_FLAGS | R.FD_WRITE | R.FD_FILESTAT_GET | R.POLL_FD_READWRITE;

const SOCKET_BASE =
  R.FD_READ |
  R.FD_FDSTAT_SET_FLAGS |
  R.FD_WRITE |
  R.FD_FILESTAT_GET |
  R.POLL_FD_READWRITE |
  R.SOCK_SHUTDOWN |
  R.SOCK_ACCEPT;

export function maxRights(kind: FileKind): { base: bigint; inheriting: bigint } {
  switch (kind) {
    case 'directory':
      return { base: DIR_BASE, inheriting: DIR_BASE | FILE_BASE };
    case 'regular-file':
      return { base: FILE_BASE, inheriting: 0n };
    case 'character-device':
      return { base: TTY_BASE | R.FD_SEEK | R.FD_TELL, inheriting: 0n };
    case 'socket-stream':
    case 'socket-dgram':
      return { base: SOCKET_BASE, inheriting: 0n };
    default:
      return { base: FILE_BASE, inheriting: 0n };
  }
}
