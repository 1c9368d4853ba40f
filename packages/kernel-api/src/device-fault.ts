// A fault a driver found while probing a device that it could still provide in part (a disk
// whose partition table cannot be read is provided without its partitions). The kernel names
// these when a mount of that device fails, so the user sees the I/O or format error itself.
import type { Capability } from './capability.js';

/** Capability under which drivers provide DeviceFault records. */
export const DEVICE_FAULT_CAPABILITY = 'device-fault' satisfies Capability;

export interface DeviceFault {
  /** The device's name, e.g. `vblk0`. */
  readonly device: string;
  /** What went wrong, e.g. `partition table unreadable: EIO: …`. */
  readonly message: string;
}
