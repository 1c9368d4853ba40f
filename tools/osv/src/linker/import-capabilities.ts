// What each WebAssembly import asks of the kernel: `module.name` → the capability that serves
// it. Imports not listed are served by the kernel core itself (fd_write on stdout, clock_time_get,
// random_get, proc_exit: WASI preview1's process, clock and random calls) or not at all.
import type { Capability } from '@osv-ts/kernel-api';

const PREVIEW1 = 'wasi_snapshot_preview1';

// WASI preview1 (witx, wasi_snapshot_preview1): the path_* calls and the calls that walk
// directories and preopens need a file system; sock_* need the network stack.
const FS_CALLS = [
  'fd_prestat_get',
  'fd_prestat_dir_name',
  'fd_readdir',
  'path_create_directory',
  'path_filestat_get',
  'path_filestat_set_times',
  'path_link',
  'path_open',
  'path_readlink',
  'path_remove_directory',
  'path_rename',
  'path_symlink',
  'path_unlink_file',
] as const;
const SOCKET_CALLS = ['sock_accept', 'sock_recv', 'sock_send', 'sock_shutdown'] as const;

export const IMPORT_CAPABILITIES: ReadonlyMap<string, Capability> = new Map<string, Capability>([
  ...FS_CALLS.map((name) => [`${PREVIEW1}.${name}`, 'wasi:fs'] as const),
  ...SOCKET_CALLS.map((name) => [`${PREVIEW1}.${name}`, 'wasi:net'] as const),
]);
