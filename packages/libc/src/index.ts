// @osv-ts/libc: the fd table, errno, processes, and the WASI preview1 binding.
export { Process, ProcessExit } from './process.js';
export type { ProcessOptions } from './process.js';
export { FdTable, FileDescription, ALL_RIGHTS, DEFAULT_FD_LIMIT } from './fd/fd-table.js';
export type { FdEntry } from './fd/fd-table.js';
export { StatusFlag } from './fd/open-file.js';
export type { OpenFile, FileKind, FileStat } from './fd/open-file.js';
export { ConsoleFile } from './fd/console-file.js';
export { AppMemory } from './wasi/app-memory.js';
export { WasiPreview1 } from './wasi/preview1.js';
export type { Preview1Extension } from './wasi/preview1.js';
export { WasiErrno, toWasiErrno } from './wasi/wasi-errno.js';
export { PREVIEW1_FUNCTIONS, Filetype, ClockId, Rights, FdFlags, Whence } from './wasi/preview1-types.js';
export type { Preview1Function } from './wasi/preview1-types.js';
