// What the `js-app` kernel module provides and the boot sequence asks for when a command is a
// JS app. Types only (and the capability's name): the kernel core does not import the runner.
import type { Posix } from '@osv-ts/libc';
import type { AppResult } from './wasm-app.js';

export const JS_APP_CAPABILITY = 'js-app';

export type JsAppRunner = (
  path: string,
  program: Uint8Array,
  libc: Posix,
  options: { readonly beforeStart?: () => void },
) => AppResult;
