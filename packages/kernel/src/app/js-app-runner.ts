// What the `js-app` kernel module provides and the boot sequence asks for when a command is a
// JS app. Types only (and the capability's name): the kernel core imports neither the runner
// nor libc's Posix, so a WASI app's kernel holds no Posix, resolver, socket or SES code.
import type { Capability } from '@osv-ts/kernel-api';
import type { Process } from '@osv-ts/libc';
import type { Vfs } from '@osv-ts/vfs';
import type { AppResult } from './wasm-app.js';

/** The capability the js-app module provides (what tools/osv's jsAppNeeds asks the linker for). */
export const JS_APP_CAPABILITY = 'app:js' satisfies Capability;

export interface JsAppRunOptions {
  /** The root file system the app's Posix works on. */
  readonly vfs: Vfs;
  /** --tcplisten addresses: listening sockets installed as fds 3, 4, … before main. */
  readonly listeners: readonly string[];
  /** Called once the app is set up, before it is evaluated (the boot chart's `app loaded`). */
  readonly onLoaded?: () => void;
  /** Called after the app is evaluated, just before main (the end of boot). */
  readonly beforeStart?: () => void;
}

/** Runs one linked JS app in `process` to its exit status. */
export type JsAppRunner = (path: string, program: Uint8Array, process: Process, options: JsAppRunOptions) => AppResult;
