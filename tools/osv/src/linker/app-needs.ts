// What a WebAssembly app needs from the kernel, read from its import section: every WASI app
// needs a console; file-system calls need the VFS; socket calls need the network stack.
import { importsByModule, type WasmModuleInfo } from '@osv-ts/elf-linker';

export interface AppNeeds {
  /** Capabilities the kernel must provide. */
  readonly capabilities: string[];
  /** Why each capability is needed (the first import that asked for it). */
  readonly reasons: Record<string, string>;
}

const FS_CALLS = /^(path_|fd_readdir$|fd_prestat_)/;
const SOCKET_CALLS = /^sock_/;

export function appNeeds(info: WasmModuleInfo): AppNeeds {
  const reasons: Record<string, string> = { console: 'every app has stdin/stdout/stderr' };
  const wasi = importsByModule(info).get('wasi_snapshot_preview1') ?? new Set<string>();
  for (const name of wasi) {
    if (FS_CALLS.test(name)) reasons['wasi:fs'] ??= `imports wasi_snapshot_preview1.${name}`;
    if (SOCKET_CALLS.test(name)) reasons['wasi:net'] ??= `imports wasi_snapshot_preview1.${name}`;
  }
  return { capabilities: Object.keys(reasons), reasons };
}

/**
 * What a JS-module app needs. A JS app has no import section to read, so the rule is fixed and
 * documented: it always gets the kernel's js-app module (the SES compartment it runs in, libc's
 * Posix) and the VFS (Posix's file calls), and it gets the network stack with the BSD socket
 * layer when the run asks for a network (-n or --tcplisten).
 */
export function jsAppNeeds(options: { networking: boolean }): AppNeeds {
  const reasons: Record<string, string> = {
    console: 'every app has stdin/stdout/stderr',
    vfs: "a JS app's libc has the file calls",
    'app:js': "a JS app runs through the kernel's js-app module, in an SES compartment",
  };
  if (options.networking)
    reasons['posix:sockets'] = 'a JS app on a networked VM (-n/--tcplisten) gets the socket calls';
  return { capabilities: Object.keys(reasons), reasons };
}
