// Kernel module `virtio-blk`: probes every virtio-mmio window holding a block device, names the
// disks vblk0, vblk1, … in address order (OSv's naming), and provides each disk and each of its
// MBR partitions (vblk0.1, …) as a `blockdev`. A disk whose partition table is unreadable is
// still provided, without partitions (a blank disk has no table either), and the reason is
// provided as a DeviceFault for the kernel to name when a mount of a partition fails.
import {
  DEVICE_FAULT_CAPABILITY,
  FormatError,
  KernelError,
  type BlockDevice,
  type Capability,
  type DeviceFault,
  type KernelModule,
  type ModuleContext,
} from '@osv-ts/kernel-api';
import { VirtioMmioTransport } from '../guest/mmio-transport.js';
import { DeviceId } from '../mmio/registers.js';
import { VIRTIO_MMIO_CAPABILITY, type VirtioPlatform } from '../virtio-platform.js';
import { VirtioBlkDriver } from './blk-driver.js';
import { scanPartitions } from './partition-scan.js';

/** Capability under which block devices (disks and partitions) are provided. */
export const BLOCKDEV_CAPABILITY = 'blockdev' satisfies Capability;

const virtioBlkModule: KernelModule = {
  name: 'virtio-blk',
  init(ctx: ModuleContext): void {
    const platform = ctx.get<VirtioPlatform>(VIRTIO_MMIO_CAPABILITY);
    let index = 0;
    for (const info of platform.devices) {
      const transport = new VirtioMmioTransport(platform.memory, platform.bus, info);
      if (transport.probe()?.deviceId !== DeviceId.Block) continue;
      const driver = new VirtioBlkDriver(`vblk${index++}`, transport, platform.memory, platform.dma, platform.sched);
      platform.onInterrupt(info.irq, () => driver.onInterrupt());
      driver.init();
      ctx.provide<BlockDevice>(BLOCKDEV_CAPABILITY, driver);
      let partitions: BlockDevice[] = [];
      try {
        partitions = scanPartitions(driver);
      } catch (e) {
        if (!(e instanceof FormatError) && !(e instanceof KernelError)) throw e;
        ctx.provide<DeviceFault>(DEVICE_FAULT_CAPABILITY, {
          device: driver.name,
          message: `partition table unreadable: ${e.message}`,
        });
      }
      for (const p of partitions) ctx.provide<BlockDevice>(BLOCKDEV_CAPABILITY, p);
    }
  },
};

export default virtioBlkModule;
