// A whole virtio machine on one thread, for tests and simulations: guest drivers reach device
// models through a bus that calls the transport models directly, and interrupts are delivered
// when the guest's Cpu polls for them. Same rings in the same memory, no worker.
import type { Cpu } from '@osv-ts/core-sched';
import { GuestMemory } from '../guest-memory.js';
import type { DeviceModel } from '../device/device-model.js';
import { MmioTransportModel } from '../device/mmio-transport-model.js';
import type { MmioBus } from '../mmio/mmio-bus.js';
import type { MmioDeviceInfo } from '../guest/mmio-transport.js';

export class LoopbackMachine implements MmioBus, Cpu {
  readonly memory: GuestMemory;
  readonly transports: MmioTransportModel[] = [];
  readonly devices: MmioDeviceInfo[] = [];
  private pendingIrqs = 0;
  private readonly handlers = new Map<number, () => void>();
  /** When false, notifications are queued until serviceDevices() (to model a slow device). */
  autoService = true;

  constructor(ramBytes: number, models: readonly DeviceModel[], mmioBase = 0x10000) {
    this.memory = new GuestMemory(new SharedArrayBuffer(ramBytes));
    models.forEach((model, i) => {
      const baseAddress = mmioBase + i * 0x1000;
      const irq = 5 + i;
      this.devices.push({ baseAddress, sizeBytes: 0x1000, irq });
      this.transports.push(
        new MmioTransportModel(this.memory, baseAddress, irq, model, { raise: () => (this.pendingIrqs |= 1 << irq) }),
      );
    });
  }

  onInterrupt(irq: number, handler: () => void): void {
    this.handlers.set(irq, handler);
  }

  read(address: number, size: 1 | 2 | 4): number {
    const t = this.transportAt(address);
    return t.read(address - t.baseAddress, size);
  }

  write(address: number, size: 1 | 2 | 4, value: number): void {
    const t = this.transportAt(address);
    t.write(address - t.baseAddress, size, value);
  }

  /** Posted writes reach the device at once here: no exit to save. */
  post(address: number, size: 1 | 2 | 4, value: number): void {
    this.write(address, size, value);
  }

  flush(): void {}

  ringDoorbell(): void {
    if (this.autoService) this.serviceDevices();
  }

  /** Delivers posted queue notifications to the device models. */
  serviceDevices(): void {
    for (const t of this.transports) {
      const bits = t.takePostedNotifications();
      if (bits) t.notify(bits);
    }
  }

  pollInterrupts(): boolean {
    let bits = this.pendingIrqs;
    this.pendingIrqs = 0;
    if (!bits) return false;
    while (bits) {
      const irq = 31 - Math.clz32(bits);
      bits &= ~(1 << irq);
      this.handlers.get(irq)?.();
    }
    return true;
  }

  idle(): boolean {
    // A slow device: the guest idles until the device gets to its queued notifications.
    if (!this.autoService) {
      this.serviceDevices();
      return true;
    }
    return this.pendingIrqs !== 0;
  }

  private transportAt(address: number): MmioTransportModel {
    const t = this.transports.find((x) => address >= x.baseAddress && address < x.baseAddress + 0x1000);
    if (!t) throw new Error(`no device at 0x${address.toString(16)}`);
    return t;
  }
}
