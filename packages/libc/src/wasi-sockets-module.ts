// Kernel module `wasi-sockets`: the socket calls of wasi_snapshot_preview1 over the network
// stack, and the listening sockets handed to the app as preopened fds (wasmtime's --tcplisten;
// osv-ts: the loader option --tcplisten=ADDR:PORT).
import type { KernelModule, ModuleContext } from '@osv-ts/kernel-api';
import type { NetstackService } from '@osv-ts/netstack';
import { installListeners } from './socket-listeners.js';
import { wasiSocketsExtension } from './wasi/preview1-sockets.js';
import type { WasiExtensionFactory } from './wasi-extension.js';

const wasiSocketsModule: KernelModule = {
  name: 'wasi-sockets',
  init(ctx: ModuleContext): void {
    const net = ctx.get<NetstackService>('netstack').stack;
    const factory: WasiExtensionFactory = (process, options) => {
      installListeners(net, process, options.listeners ?? []);
      return { extension: wasiSocketsExtension() };
    };
    ctx.provide('wasi:net', factory);
  },
};

export default wasiSocketsModule;
