// Kernel module `js-app`: runs JS-module apps (programs that start with JS_APP_HEADER), each in
// an SES Compartment (app/js-app.ts), with libc's Posix over the process, the VFS and, when the
// kernel has a network stack, the posix-sockets layer. A module rather than part of the boot
// code so that what only JS apps use is linked into, and paid by, only the kernels that run
// them: SES (~500 KiB of source, ~10 ms of lockdown), Posix, and the resolver and socket code
// Posix reaches. tools/osv's jsAppNeeds selects it for `osv run app.mjs`, as it adds the VFS
// only for apps with file calls; a wasm app's kernel lacks it and refuses a JS app (exit 126).
import { KernelError, type KernelModule, type ModuleContext } from '@osv-ts/kernel-api';
import { installListeners, POSIX_SOCKETS_CAPABILITY, Posix, type SocketLayerFactory } from '@osv-ts/libc';
import type { NetstackService } from '@osv-ts/netstack';
import { runJsApp } from './app/js-app.js';
import { JS_APP_CAPABILITY, type JsAppRunner } from './app/js-app-runner.js';
import { ExitStatus } from './app/wasm-app.js';

const jsAppModule: KernelModule = {
  name: 'js-app',
  init(ctx: ModuleContext): void {
    // The socket layer and the stack are looked up per run: modules initialise in dependency
    // order, and posix-sockets may come after this module.
    ctx.provide<JsAppRunner>(JS_APP_CAPABILITY, (path, program, process, options) => {
      const sockets = ctx.tryGet<SocketLayerFactory>(POSIX_SOCKETS_CAPABILITY)?.(process);
      if (options.listeners.length > 0) {
        const net = ctx.tryGet<NetstackService>('netstack');
        if (!net)
          return { status: ExitStatus.CANNOT_EXECUTE, error: `${path}: --tcplisten needs the netstack kernel module` };
        try {
          installListeners(net.stack, process, options.listeners);
        } catch (e) {
          // An address the stack cannot listen on (in use, not its own): the app does not start.
          if (!(e instanceof KernelError)) throw e;
          return { status: 1, error: `${path}: ${e.message}` };
        }
      }
      const posix = new Posix(process, options.vfs, sockets);
      options.onLoaded?.();
      return runJsApp(path, program, posix, { beforeStart: options.beforeStart });
    });
  },
};

export default jsAppModule;
export { JS_APP_CAPABILITY } from './app/js-app-runner.js';
export type { JsAppRunner, JsAppRunOptions } from './app/js-app-runner.js';
export { JS_APP_LIBC_CALLS, runJsApp } from './app/js-app.js';
export type { JsAppLibc, JsAppMain, JsAppOptions } from './app/js-app.js';
