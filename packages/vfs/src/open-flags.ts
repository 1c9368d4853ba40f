// open(2) flags with Linux's numeric values (asm-generic/fcntl.h), so libc passes them through.

export const O_RDONLY = 0o0;
export const O_WRONLY = 0o1;
export const O_RDWR = 0o2;
export const O_ACCMODE = 0o3;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_NOCTTY = 0o400;
export const O_TRUNC = 0o1000;
export const O_APPEND = 0o2000;
export const O_NONBLOCK = 0o4000;
export const O_DSYNC = 0o10000;
export const O_DIRECTORY = 0o200000;
export const O_NOFOLLOW = 0o400000;
export const O_CLOEXEC = 0o2000000;
export const O_SYNC = 0o4010000;
export const O_PATH = 0o10000000;

/** The flags fcntl(F_SETFL) may change on an open file (Linux: O_APPEND, O_NONBLOCK, ...). */
export const O_SETFL_MASK = O_APPEND | O_NONBLOCK;

/** lseek(2) whence values. */
export const SEEK_SET = 0;
export const SEEK_CUR = 1;
export const SEEK_END = 2;

/** utimensat(2) special nanosecond values: set to now, or leave unchanged. */
export const UTIME_NOW = -1n;
export const UTIME_OMIT = -2n;

/** poll(2) event bits (Linux values). */
export const POLLIN = 0x001;
export const POLLPRI = 0x002;
export const POLLOUT = 0x004;
export const POLLERR = 0x008;
export const POLLHUP = 0x010;
export const POLLNVAL = 0x020;

/** Longest path the VFS accepts, including the terminating NUL (Linux PATH_MAX). */
export const PATH_MAX = 4096;
/** Longest file-name component in bytes (Linux NAME_MAX). */
export const NAME_MAX = 255;
/** Symlinks followed in one lookup before ELOOP (Linux MAXSYMLINKS). */
export const MAX_SYMLINKS = 40;
