// Kernel module `virtio-rng`: provides each virtio-rng device as `entropy` (feeding
// /dev/random and random_get when the kernel prefers it over the vCPU's own source).
import type { Entropy, KernelModule, ModuleContext } from '@osv-ts/kernel-api';
import { VirtioMmioTransport } from '../guest/mmio-transport.js';
import { DeviceId } from '../mmio/registers.js';
import { VIRTIO_MMIO_CAPABILITY, type VirtioPlatform } from '../virtio-platform.js';
import { VirtioRngDriver } from './rng-driver.js';

const virtioRngModule: KernelModule = {
  name: 'virtio-rng',
  init(ctx: ModuleContext): void {
    const platform = ctx.get<VirtioPlatform>(VIRTIO_MMIO_CAPABILITY);
    let index = 0;
    for (const info of platform.devices) {
      const transport = new VirtioMmioTransport(platform.memory, platform.bus, info);
      if (transport.probe()?.deviceId !== DeviceId.Entropy) continue;
      const driver = new VirtioRngDriver(
        `virtio-rng${index++}`,
        transport,
        platform.memory,
        platform.dma,
        platform.sched,
      );
      platform.onInterrupt(info.irq, () => driver.onInterrupt());
      driver.init();
      ctx.provide<Entropy>('entropy', driver);
    }
  },
};

export default virtioRngModule;
