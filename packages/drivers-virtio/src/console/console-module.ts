// Kernel module `virtio-console`: probes every virtio-mmio window holding a console device,
// initializes a driver for each, and provides them as `console` in address order (the kernel
// uses the first for stdout and the second, when present, for stderr).
import type { Console, KernelModule, ModuleContext } from '@osv-ts/kernel-api';
import { VirtioMmioTransport } from '../guest/mmio-transport.js';
import { DeviceId } from '../mmio/registers.js';
import { VIRTIO_MMIO_CAPABILITY, type VirtioPlatform } from '../virtio-platform.js';
import { VirtioConsoleDriver } from './console-driver.js';

const virtioConsoleModule: KernelModule = {
  name: 'virtio-console',
  init(ctx: ModuleContext): void {
    const platform = ctx.get<VirtioPlatform>(VIRTIO_MMIO_CAPABILITY);
    let index = 0;
    for (const info of platform.devices) {
      const transport = new VirtioMmioTransport(platform.memory, platform.bus, info);
      if (transport.probe()?.deviceId !== DeviceId.Console) continue;
      const driver = new VirtioConsoleDriver(transport, platform.memory, platform.dma, platform.sched, {
        isTerminal: platform.consoleIsTerminal(index++),
      });
      driver.init();
      platform.onInterrupt(info.irq, () => driver.onInterrupt());
      ctx.provide<Console>('console', driver);
    }
  },
};

export default virtioConsoleModule;
