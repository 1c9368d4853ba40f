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
 * The largest guest RAM: 4 GiB. Guest-physical addresses are 32-bit in the boot ABI and the
 * virtio rings' index arithmetic, and a JavaScript typed array (GuestMemory's byte view) spans at
 * most 2^32 elements in Node 20's V8; a wasm32 app cannot use more than 4 GiB either.
 */
export const MAX_GUEST_RAM_BYTES = 2 ** 32;

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
  if (ramBytes > MAX_GUEST_RAM_BYTES)
    throw new LayoutError(`guest RAM of ${formatMiB(ramBytes)} is more than osv-ts supports: at most 4G (-m 4G)`);
  if (deviceCount > MMIO_MAX_DEVICES) throw new LayoutError(`${deviceCount} devices; at most ${MMIO_MAX_DEVICES} fit`);
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

function formatMiB(bytes: number): string {
  return bytes >= 2 ** 30 && bytes % 2 ** 30 === 0 ? `${bytes / 2 ** 30} GiB` : `${Math.round(bytes / 2 ** 20)} MiB`;
}

function align(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}
