// How kernel modules add WASI functions to a process: the kernel calls each registered factory
// when it starts an app, and extends the app's WasiPreview1 with what it returns. A factory is
// registered under the capability its module declares (`wasi:net`, `wasi:fs`), so that what a
// package.json says a module provides is what the module registers.
import type { Capability } from '@osv-ts/kernel-api';
import type { Process } from './process.js';
import type { Preview1Extension } from './wasi/preview1.js';

export interface WasiExtensionOptions {
  /** Guest directories to hand to the app as preopened fds (3, 4, …), e.g. ['/']. */
  readonly preopens: readonly string[];
  /** TCP addresses (`ADDR:PORT`) to listen on and hand to the app as fds before the preopens. */
  readonly listeners?: readonly string[];
}

export interface WasiExtensionFactory {
  (
    process: Process,
    options: WasiExtensionOptions,
  ): { extension: Preview1Extension; mapError?: (e: unknown) => number | undefined };
}

/**
 * The capabilities WASI extensions are registered under, in the order the kernel runs their
 * factories, so the fds they install come in a fixed order: listening sockets before preopened
 * directories, as wasmtime numbers them (fd 3 = the first --tcplisten socket).
 */
export const WASI_EXTENSION_CAPABILITIES = ['wasi:net', 'wasi:fs'] as const satisfies readonly Capability[];
