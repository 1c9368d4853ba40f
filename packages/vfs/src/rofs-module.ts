// Kernel module `rofs`: registers OSv's read-only file system type with the VFS.
import { Errno, KernelError, type KernelModule, type ModuleContext } from '@osv-ts/kernel-api';
import { Rofs } from './fs/rofs/rofs.js';
import { VFS_CAPABILITY, type VfsService } from './vfs-service.js';

const rofsModule: KernelModule = {
  name: 'rofs',
  init(ctx: ModuleContext): void {
    const service = ctx.get<VfsService>(VFS_CAPABILITY);
    service.fsTypes.set('rofs', (source) => {
      const dev = service.blockDevice(source);
      if (!dev) throw new KernelError(Errno.ENODEV, `rofs: no block device ${source}`);
      return new Rofs(dev);
    });
  },
};

export default rofsModule;
