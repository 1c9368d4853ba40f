// WASI preview1 rights: the most a descriptor of each file type can hold, the capability error,
// and the conversion between the ABI's u64 and the 30-bit number an FdEntry holds.
//
// What each call requires is the witx `rights` documentation (WASI preview1 docs.md, "rights"):
// fd_read/fd_write need FD_READ/FD_WRITE, fd_pread/fd_pwrite need FD_SEEK as well, fd_seek
// needs FD_SEEK except the offset-preserving `cur, 0` which FD_TELL also allows, and so on.
// Wasmtime enforced the same set until 2023 (wasi-common's FileCaps/DirCaps); it has since
// dropped rights altogether and answers fd_fdstat_set_rights with ENOTSUP. uvwasi (node:wasi)
// still enforces them. A missing right is ENOTCAPABLE, as the witx documents and uvwasi does.
import { Rights as R } from './preview1-types.js';
import type { FileKind } from '../fd/open-file.js';

/** WASI's ENOTCAPABLE: the descriptor lacks a right (no Linux errno corresponds). */
export class NotCapableError extends Error {
  override readonly name = 'NotCapableError';
}

/** The highest rights value preview1 defines (bits 0-29). */
const DEFINED_RIGHTS = (1 << 30) - 1;

/**
 * A rights argument from the app (an i64, so bit 63 arrives as a negative BigInt) as a number;
 * `undefined` when it sets bits preview1 does not define. One conversion, nothing allocated:
 * Number() rounds monotonically, so a value above 2^30 - 1 (or below 0) stays outside the
 * range after it, and one inside converts exactly.
 */
export function rightsFromAbi(value: bigint): number | undefined {
  const n = Number(value);
  return n >= 0 && n <= DEFINED_RIGHTS ? n : undefined;
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

// The directory rights wasmtime reports (crates/wasi/src/p1.rs fd_fdstat_get), plus
// PATH_FILESTAT_SET_SIZE, which witx makes the right to path_open with oflags::trunc. No
// byte-stream rights: wasmtime refuses fd_read/write/seek/tell/sync/datasync/advise/allocate,
// fd_fdstat_set_flags and fd_filestat_set_size on a directory (with EBADF). preview1.ts relies
// on it: a directory fd fails those calls' rights test, and refusal() then answers EBADF.
const DIR_BASE =
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
  R.PATH_UNLINK_FILE;

const TTY_BASE = R.FD_READ | R.FD_FDSTAT_SET_FLAGS | R.FD_WRITE | R.FD_FILESTAT_GET | R.POLL_FD_READWRITE;

const SOCKET_BASE =
  R.FD_READ |
  R.FD_FDSTAT_SET_FLAGS |
  R.FD_WRITE |
  R.FD_FILESTAT_GET |
  R.POLL_FD_READWRITE |
  R.SOCK_SHUTDOWN |
  R.SOCK_ACCEPT;

export interface MaxRights {
  readonly base: number;
  readonly inheriting: number;
}

const DIRECTORY: MaxRights = { base: DIR_BASE, inheriting: DIR_BASE | FILE_BASE };
const REGULAR_FILE: MaxRights = { base: FILE_BASE, inheriting: 0 };
const CHARACTER_DEVICE: MaxRights = { base: TTY_BASE | R.FD_SEEK | R.FD_TELL, inheriting: 0 };
const SOCKET: MaxRights = { base: SOCKET_BASE, inheriting: 0 };

/** The rights a descriptor of `kind` can hold (path_open masks the requested ones with these). */
export function maxRights(kind: FileKind): MaxRights {
  switch (kind) {
    case 'directory':
      return DIRECTORY;
    case 'regular-file':
      return REGULAR_FILE;
    case 'character-device':
      return CHARACTER_DEVICE;
    case 'socket-stream':
    case 'socket-dgram':
      return SOCKET;
    default:
      return REGULAR_FILE;
  }
}
