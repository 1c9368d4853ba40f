// Kernel module `vfs`: the VFS core with ramfs, devfs, procfs and bootfs. The kernel mounts the
// root and the rest from the VfsService it provides.
import type { BlockDevice, Clock, KernelModule, ModuleContext } from '@osv-ts/kernel-api';
import type { Blocker } from './blocker.js';
import { Vfs } from './vfs.js';
import { RamFs } from './fs/ramfs/ramfs.js';
import { DevFs } from './fs/devfs/devfs.js';
import { ProcFs } from './fs/procfs/procfs.js';
import { unpackBootfs } from './fs/bootfs/bootfs.js';
import { VFS_CAPABILITY, type VfsService } from './vfs-service.js';

const vfsModule: KernelModule = {
  name: 'vfs',
  init(ctx: ModuleContext): void {
    const clock = ctx.get<Clock>('clock');
    const sched = ctx.tryGet<Blocker & { currentThread?: unknown }>('scheduler');
    const vfs = new Vfs({ clock, ...(sched ? { blocker: sched, currentThread: () => sched.currentThread } : {}) });
    const service: VfsService = {
      vfs,
      fsTypes: new Map([['ramfs', () => new RamFs()]]),
      blockDevice: (name) => ctx.getAll<BlockDevice>('blockdev').find((d) => d.name === name.replace(/^\/dev\//, '')),
      devfs: (options) => new DevFs(options),
      procfs: (info) => new ProcFs(info),
      unpackBootfs: (image, prefix) => unpackBootfs(vfs, image, prefix, { keepData: true }),
    };
    ctx.provide(VFS_CAPABILITY, service);
  },
};

export default vfsModule;
