// The inprocess target's entry: run a WASI app with the osv-ts kernel on the caller's thread.
// The options are shaped like node:wasi's (args with argv[0], env as an object, preopens by
// guest path), with file systems where node:wasi takes host directories: this package is
// isomorphic (@osv-ts/osv's runWasm maps host directories onto the virtio-fs back-end).
import type { KernelModule } from '@osv-ts/kernel-api';
import type { FileSystem } from '@osv-ts/vfs';
import { writeBootfs, type BootfsEntry } from '@osv-ts/vfs/bootfs';
import vfsModule from '@osv-ts/vfs/vfs-module';
import wasiFsModule from '@osv-ts/libc/wasi-fs-module';
import { Kernel } from './boot/kernel.js';
import { HostConsole, type ConsoleInput } from './platform/host-console.js';
import { InprocessPlatform } from './platform/inprocess-platform.js';

export interface RunWasmOptions {
  /**
   * The app's whole argv, as node:wasi's `args`: args[0] is the name it sees for itself.
   * Default: `[name]`.
   */
  args?: readonly string[];
  /** The app's environment, as node:wasi's `env` (after any `--env=` loader options). */
  env?: Readonly<Record<string, string>>;
  /**
   * File systems to mount at guest paths, as node:wasi's `preopens` (guest path → host
   * directory there): given, they are the app's preopened directories, in this order (fd 3,
   * 4, …), instead of the whole tree at `/`. Links the vfs and wasi-fs modules when absent.
   */
  preopens?: Readonly<Record<string, FileSystem>>;
  /** The path the app is installed at in the guest. Default `/app.wasm`. */
  name?: string;
  /** Loader options in OSv syntax, e.g. `--env=A=1 --verbose`. */
  loaderOptions?: string;
  stdout?: (bytes: Uint8Array) => void;
  stderr?: (bytes: Uint8Array) => void;
  /** Standard input: all of it, or a reader called as the app reads (0 at end of file). */
  stdin?: ConsoleInput;
  /**
   * Kernel modules to link, e.g. the VFS and WASI file-system modules for an app with files, or
   * `@osv-ts/kernel/js-app-module` (with the VFS) for a JS app.
   */
  modules?: KernelModule[];
  /** Extra files for the root file system (used when a VFS module is linked): path → contents. */
  files?: Record<string, Uint8Array | string>;
  /** Hold the app's memory to this much RAM, less the kernel's share (as `osv run -m`). */
  ramBytes?: number;
}

/**
 * Runs `program` to completion and returns its exit status. Output goes to the callbacks. A
 * compiled `WebAssembly.Module` runs without being compiled again (it cannot take `ramBytes`).
 */
export function runWasm(program: Uint8Array | WebAssembly.Module, options: RunWasmOptions = {}): number {
  const name = options.name ?? '/app.wasm';
  const discard = (): void => {};
  const stdout = new HostConsole(options.stdout ?? discard, false, options.stdin ?? new Uint8Array(0));
  const stderr = new HostConsole(options.stderr ?? discard);
  const compiled = program instanceof WebAssembly.Module;
  const entries: BootfsEntry[] = compiled ? [] : [{ name, kind: 'file', data: program }];
  for (const [path, data] of Object.entries(options.files ?? {})) {
    entries.push({ name: path, kind: 'file', data: typeof data === 'string' ? new TextEncoder().encode(data) : data });
  }
  const modules = [...(options.modules ?? [])];
  const preopens = options.preopens && new Map(Object.entries(options.preopens));
  if (preopens?.size)
    for (const m of [vfsModule, wasiFsModule]) if (!modules.some((x) => x.name === m.name)) modules.push(m);
  const platform = new InprocessPlatform({
    cmdline: `${options.loaderOptions ?? ''} ${name}`,
    commands: [{ argv: [...(options.args ?? [name])], path: name, terminator: '' }],
    files: new Map(entries.map((e) => [e.name, e])),
    bootfsImage: writeBootfs(entries),
    consoles: [stdout, stderr],
    ...(compiled ? { programs: new Map([[name, program]]) } : {}),
    ...(preopens?.size ? { preopens } : {}),
    ...(options.env ? { env: new Map(Object.entries(options.env)) } : {}),
    ...(options.ramBytes !== undefined ? { ramBytes: options.ramBytes } : {}),
  });
  return new Kernel(platform, modules).boot();
}
