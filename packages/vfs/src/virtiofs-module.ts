// Kernel module `virtio-fs`: probes every virtio-mmio window holding a virtio-fs device (virtio
// 1.2 §5.11), names them virtiofs0, virtiofs1, … in address order, and registers the `virtiofs`
// file system type, whose mount source is `/dev/virtiofsN` (OSv's
// --mount-fs=virtiofs,/dev/virtiofs0,/dir) or the device's tag. Each device is mounted once: a
// FUSE session's node references belong to one mount. Mounts cache names and attributes for
// the timeouts the device gives (the kernel's monotonic clock; see fs/virtiofs/virtiofs.ts).
import { Errno, KernelError, type KernelModule, type ModuleContext } from '@osv-ts/kernel-api';
import { DeviceId, VIRTIO_MMIO_CAPABILITY, VirtioFsDriver, VirtioMmioTransport } from '@osv-ts/drivers-virtio';
import type { VirtioPlatform } from '@osv-ts/drivers-virtio';
import { VFS_CAPABILITY, type VfsService } from './vfs-service.js';
import { VirtioFs } from './fs/virtiofs/virtiofs.js';

/** WRITEs a writer on a share may have out at once (VirtioFsMountOptions.writeBehindDepth). */
const VIRTIOFS_WRITE_BEHIND_DEPTH = 4;

const virtioFsModule: KernelModule = {
  name: 'virtio-fs',
  init(ctx: ModuleContext): void {
    const platform = ctx.get<VirtioPlatform>(VIRTIO_MMIO_CAPABILITY);
    const service = ctx.get<VfsService>(VFS_CAPABILITY);
    const drivers: VirtioFsDriver[] = [];
    for (const info of platform.devices) {
      const transport = new VirtioMmioTransport(platform.memory, platform.bus, info);
      if (transport.probe()?.deviceId !== DeviceId.Fs) continue;
      const driver = new VirtioFsDriver(
        `virtiofs${drivers.length}`,
        transport,
        platform.memory,
        platform.dma,
        platform.sched,
      );
      platform.onInterrupt(info.irq, () => driver.onInterrupt());
      driver.init();
      drivers.push(driver);
    }
    const mounted = new Set<VirtioFsDriver>();
    service.fsTypes.set('virtiofs', (source) => {
      const name = source.replace(/^\/dev\//, '');
      const driver = drivers.find((d) => d.name === name) ?? drivers.find((d) => d.tag === source);
      if (!driver) throw new KernelError(Errno.ENODEV, `virtiofs: no virtio-fs device ${source}`);
      if (mounted.has(driver)) throw new KernelError(Errno.EBUSY, `virtiofs: ${source} is mounted already`);
      mounted.add(driver);
      // Four 1 MiB WRITEs out behind a sequential writer (the driver keeps five request slots).
      return new VirtioFs(driver, { clock: platform.sched.clock, writeBehindDepth: VIRTIOFS_WRITE_BEHIND_DEPTH });
    });
  },
};

export default virtioFsModule;
