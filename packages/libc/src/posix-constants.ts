// Every constant a JS app passes to Posix, in one frozen object (`libc.constants`), so an app
// needs no import: open(2) flags, fcntl(2) commands, the socket constants, getaddrinfo's AI_/EAI_
// codes, and errno names (Linux values throughout).
import { Errno } from '@osv-ts/kernel-api';
import {
  O_RDONLY,
  O_WRONLY,
  O_RDWR,
  O_CREAT,
  O_EXCL,
  O_TRUNC,
  O_APPEND,
  O_DIRECTORY,
  O_NOFOLLOW,
  O_CLOEXEC,
  O_SYNC,
  O_DSYNC,
} from '@osv-ts/vfs';
import * as sockets from './socket/socket-constants.js';

export const F_DUPFD = 0;
export const F_GETFD = 1;
export const F_SETFD = 2;
export const F_GETFL = 3;
export const F_SETFL = 4;
export const F_DUPFD_CLOEXEC = 1030;
export const FD_CLOEXEC = 1;

// Pure: a kernel without JS apps (which alone read it) drops the object when bundled.
export const POSIX_CONSTANTS = /* @__PURE__ */ Object.freeze({
  ...Errno,
  ...sockets,
  O_RDONLY,
  O_WRONLY,
  O_RDWR,
  O_CREAT,
  O_EXCL,
  O_TRUNC,
  O_APPEND,
  O_DIRECTORY,
  O_NOFOLLOW,
  O_CLOEXEC,
  O_SYNC,
  O_DSYNC,
  F_DUPFD,
  F_GETFD,
  F_SETFD,
  F_GETFL,
  F_SETFL,
  F_DUPFD_CLOEXEC,
  FD_CLOEXEC,
  SEEK_SET: 0,
  SEEK_CUR: 1,
  SEEK_END: 2,
  STDIN_FILENO: 0,
  STDOUT_FILENO: 1,
  STDERR_FILENO: 2,
});

export type PosixConstants = typeof POSIX_CONSTANTS;
