// The inprocess target's entry: run a WASI app with the osv-ts kernel on the caller's thread.
import type { KernelModule } from '@osv-ts/kernel-api';
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
  modules?: KernelModule[];
}

/** Runs `wasm` to completion and returns its exit status. Output goes to the callbacks. */
export function runWasm(wasm: Uint8Array, options: RunWasmOptions = {}): number {
  const name = options.name ?? '/app.wasm';
  const discard = (): void => {};
  const stdout = new HostConsole(options.stdout ?? discard, false, options.stdin ?? new Uint8Array(0));
  const stderr = new HostConsole(options.stderr ?? discard);
  const platform = new InprocessPlatform({
    cmdline: `${options.loaderOptions ?? ''} ${name}`,
    commands: [{ argv: [name, ...(options.args ?? [])], terminator: '' }],
    files: new Map([[name, { path: name, kind: 'file', data: wasm }]]),
    consoles: [stdout, stderr],
  });
  return new Kernel(platform, options.modules ?? []).boot();
}
