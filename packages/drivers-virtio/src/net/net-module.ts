// Kernel module `virtio-net`: provides each virtio-net device as a `netdev` (eth0, eth1, … in
// address order, as OSv names them).
import type { KernelModule, ModuleContext, NetDevice } from '@osv-ts/kernel-api';
import { VirtioMmioTransport } from '../guest/mmio-transport.js';
import { DeviceId } from '../mmio/registers.js';
import { VIRTIO_MMIO_CAPABILITY, type VirtioPlatform } from '../virtio-platform.js';
import { VirtioNetDriver } from './net-driver.js';

const virtioNetModule: KernelModule = {
  name: 'virtio-net',
  init(ctx: ModuleContext): void {
    const platform = ctx.get<VirtioPlatform>(VIRTIO_MMIO_CAPABILITY);
    let index = 0;
    for (const info of platform.devices) {
      const transport = new VirtioMmioTransport(platform.memory, platform.bus, info);
      if (transport.probe()?.deviceId !== DeviceId.Net) continue;
      const driver = new VirtioNetDriver(`eth${index++}`, transport, platform.memory, platform.dma);
      platform.onInterrupt(info.irq, () => driver.onInterrupt());
      driver.init();
      ctx.provide<NetDevice>('netdev', driver);
    }
  },
};

export default virtioNetModule;
