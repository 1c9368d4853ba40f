// Where the VMM puts things in guest RAM before the vCPU starts (kernel-api's machine ABI).
import {
  CMDLINE_ADDRESS,
  CMDLINE_MAX_BYTES,
  FIRST_IRQ,
  MMIO_BASE,
  MMIO_MAX_DEVICES,
  MMIO_WINDOW_BYTES,
} from '@osv-ts/kernel-api';

const PAGE = 4096;

/**
 * The largest guest RAM: guest physical addresses are 32 bits in the machine ABI (the boot info
 * and the drivers' buffer addresses), so RAM ends at 4 GiB.
 */
export const MAX_GUEST_RAM_BYTES = 4 * 1024 ** 3;

export interface MmioSlot {
  readonly baseAddress: number;
  readonly sizeBytes: number;
  readonly irq: number;
}

export interface GuestRamLayout {
  readonly ramBytes: number;
  readonly cmdlineAddress: number;
  readonly mmio: MmioSlot[];
  readonly bootfsAddress: number;
  readonly bootfsLength: number;
  readonly freeRamStart: number;
}

export class LayoutError extends Error {
  override readonly name = 'LayoutError';
}

export function planGuestRam(
  ramBytes: number,
  deviceCount: number,
  bootfsLength: number,
  minFreeBytes = 4 * 1024 * 1024,
): GuestRamLayout {
  if (deviceCount > MMIO_MAX_DEVICES) throw new LayoutError(`${deviceCount} devices; at most ${MMIO_MAX_DEVICES} fit`);
  if (ramBytes > MAX_GUEST_RAM_BYTES)
    throw new LayoutError(
      `guest RAM of ${Math.round(ramBytes / 1024 / 1024)} MiB is more than the largest, 4096 MiB (guest physical addresses are 32 bits)`,
    );
  const mmio = Array.from({ length: deviceCount }, (_, i) => ({
    baseAddress: MMIO_BASE + i * MMIO_WINDOW_BYTES,
    sizeBytes: MMIO_WINDOW_BYTES,
    irq: FIRST_IRQ + i,
  }));
  const bootfsAddress = align(MMIO_BASE + MMIO_MAX_DEVICES * MMIO_WINDOW_BYTES, PAGE);
  const freeRamStart = align(bootfsAddress + bootfsLength, PAGE);
  if (freeRamStart + minFreeBytes > ramBytes) {
    const needMiB = Math.ceil((freeRamStart + minFreeBytes) / 1024 / 1024);
    throw new LayoutError(
      `guest RAM of ${Math.round(ramBytes / 1024 / 1024)} MiB is too small: the boot image needs at least ${needMiB} MiB (use -m)`,
    );
  }
  return { ramBytes, cmdlineAddress: CMDLINE_ADDRESS, mmio, bootfsAddress, bootfsLength, freeRamStart };
}

export const MAX_CMDLINE_BYTES = CMDLINE_MAX_BYTES;

function align(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}
