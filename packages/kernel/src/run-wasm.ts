// The inprocess target's entry: run a WASI app with the osv-ts kernel on the caller's thread.
import type { KernelModule } from '@osv-ts/kernel-api';
import { writeBootfs, type BootfsEntry } from '@osv-ts/vfs/bootfs';
import { Kernel } from './boot/kernel.js';
import { HostConsole } from './platform/host-console.js';
import { InprocessPlatform } from './platform/inprocess-platform.js';

export interface RunWasmOptions {
  /** argv[1..]; argv[0] is `name`. */
  args?: string[];
  /** The path the app is installed at in the guest (argv[0]). Default `/app.wasm`. */
  name?: string;
  /** Loader options in OSv syntax, e.g. `--env=A=1 --verbose`. */
  loaderOptions?: string;
  stdout?: (bytes: Uint8Array) => void;
  stderr?: (bytes: Uint8Array) => void;
  stdin?: Uint8Array;
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

/** Runs `wasm` to completion and returns its exit status. Output goes to the callbacks. */
export function runWasm(wasm: Uint8Array, options: RunWasmOptions = {}): number {
  const name = options.name ?? '/app.wasm';
  const discard = (): void => {};
  const stdout = new HostConsole(options.stdout ?? discard, false, options.stdin ?? new Uint8Array(0));
  const stderr = new HostConsole(options.stderr ?? discard);
  const entries: BootfsEntry[] = [{ name, kind: 'file', data: wasm }];
  for (const [path, data] of Object.entries(options.files ?? {})) {
    entries.push({ name: path, kind: 'file', data: typeof data === 'string' ? new TextEncoder().encode(data) : data });
  }
  const platform = new InprocessPlatform({
    cmdline: `${options.loaderOptions ?? ''} ${name}`,
    commands: [{ argv: [name, ...(options.args ?? [])], terminator: '' }],
    files: new Map(entries.map((e) => [e.name, e])),
    bootfsImage: writeBootfs(entries),
    consoles: [stdout, stderr],
    ...(options.ramBytes !== undefined ? { ramBytes: options.ramBytes } : {}),
  });
  return new Kernel(platform, options.modules ?? []).boot();
}
