// Kernel module `wasi-fs`: the file-system calls of wasi_snapshot_preview1 over the VFS, and the
// preopened directories an app starts with.
import type { KernelModule, ModuleContext } from '@osv-ts/kernel-api';
import { VFS_CAPABILITY, type VfsService } from '@osv-ts/vfs';
import { fsErrorToWasi, installPreopens, wasiFsExtension } from './wasi/preview1-fs.js';
import type { WasiExtensionFactory } from './wasi-extension.js';

const wasiFsModule: KernelModule = {
  name: 'wasi-fs',
  init(ctx: ModuleContext): void {
    const { vfs } = ctx.get<VfsService>(VFS_CAPABILITY);
    const factory: WasiExtensionFactory = (process, options) => {
      installPreopens(vfs, process, options.preopens);
      return { extension: wasiFsExtension(vfs), mapError: fsErrorToWasi };
    };
    ctx.provide('wasi:fs', factory);
  },
};

export default wasiFsModule;
