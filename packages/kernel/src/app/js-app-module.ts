// Kernel module `js-app`: runs JS-module apps (programs that start with JS_APP_HEADER) with
// libc's Posix over the process, the VFS and, when the kernel has a network stack, the
// posix-sockets layer. A module rather than part of the boot code so that a WASI app's kernel
// carries neither Posix nor the resolver and socket code Posix reaches: the linker adds it only
// for JS apps (tools/osv's jsAppNeeds), as it adds the VFS only for apps with file calls.
import { KernelError, type KernelModule, type ModuleContext } from '@osv-ts/kernel-api';
import { installListeners, POSIX_SOCKETS_CAPABILITY, Posix, type Process, type SocketLayerFactory } from '@osv-ts/libc';
import type { NetstackService } from '@osv-ts/netstack';
import type { Vfs } from '@osv-ts/vfs';
import { runJsApp } from './js-app.js';
import { ExitStatus, type AppResult } from './wasm-app.js';

/** The capability this module provides (what jsAppNeeds asks the linker for). */
export const JS_APP_CAPABILITY = 'app:js';

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

/** What the module provides: runs one linked JS app to its exit status. */
export type JsAppRunner = (path: string, program: Uint8Array, process: Process, options: JsAppRunOptions) => AppResult;

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
