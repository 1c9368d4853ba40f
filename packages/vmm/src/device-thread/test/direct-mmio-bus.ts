// For tests: a guest's MMIO bus wired straight into a transport model on the same thread (no
// trap page), and the doorbell the VMM's loop rings for a device it serves itself.
import type { MmioBus, MmioTransportModel } from '@osv-ts/drivers-virtio';

export class DirectMmioBus implements MmioBus {
  constructor(
    readonly transport: MmioTransportModel,
    private readonly base: number,
  ) {}
  read(address: number, size: 1 | 2 | 4): number {
    return this.transport.read(address - this.base, size);
  }
  write(address: number, size: 1 | 2 | 4, value: number): void {
    this.transport.write(address - this.base, size, value);
  }
  post(address: number, size: 1 | 2 | 4, value: number): void {
    this.write(address, size, value);
  }
  flush(): void {}
  ringDoorbell(): void {
    if (this.transport.awaitingMigration) this.transport.migrate();
    const bits = this.transport.takePostedNotifications();
    if (bits) this.transport.notify(bits);
  }
}
