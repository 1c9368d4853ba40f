// How kernel modules add WASI functions to a process: the kernel calls each registered factory
// when it starts an app, and extends the app's WasiPreview1 with what it returns.
import type { Process } from './process.js';
import type { Preview1Extension } from './wasi/preview1.js';

export interface WasiExtensionOptions {
  /** Guest directories to hand to the app as preopened fds (3, 4, …), e.g. ['/']. */
  readonly preopens: readonly string[];
}

export type WasiExtensionFactory = (
  process: Process,
  options: WasiExtensionOptions,
) => { extension: Preview1Extension; mapError?: (e: unknown) => number | undefined };

export const WASI_EXTENSION_CAPABILITY = 'wasi-extension';
