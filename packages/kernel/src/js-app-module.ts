// Kernel module `js-app`: runs JS-module apps, each in an SES Compartment (app/js-app.ts). Its
// own module so that SES (~500 KiB of source, ~10 ms of lockdown) is linked into, and paid by,
// only the kernels that run JS apps: `osv run app.mjs` selects it; a wasm app's kernel lacks it
// and refuses a JS app (exit 126).
import type { KernelModule, ModuleContext } from '@osv-ts/kernel-api';
import { runJsApp } from './app/js-app.js';
import { JS_APP_CAPABILITY, type JsAppRunner } from './app/js-app-runner.js';

const jsAppModule: KernelModule = {
  name: 'js-app',
  init(ctx: ModuleContext): void {
    ctx.provide<JsAppRunner>(JS_APP_CAPABILITY, runJsApp);
  },
};

export default jsAppModule;
export { JS_APP_LIBC_CALLS, runJsApp } from './app/js-app.js';
export type { JsAppLibc, JsAppMain, JsAppOptions } from './app/js-app.js';
