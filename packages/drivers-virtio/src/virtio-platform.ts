// What the virtio drivers need from the kernel that loads them. The kernel (the composition
// root) implements this; the drivers only see the interface.
import type { Capability } from '@osv-ts/kernel-api';
import type { Scheduler } from '@osv-ts/core-sched';
import type { GuestMemory } from './guest-memory.js';
import type { MmioBus } from './mmio/mmio-bus.js';
import type { DmaAllocator, MmioDeviceInfo } from './guest/mmio-transport.js';

export interface VirtioPlatform {
  readonly memory: GuestMemory;
  readonly bus: MmioBus;
  readonly dma: DmaAllocator;
  readonly sched: Scheduler;
  /** virtio-mmio windows announced on the command line, in address order. */
  readonly devices: readonly MmioDeviceInfo[];
  /** Registers the handler for an interrupt line. */
  onInterrupt(irq: number, handler: () => void): void;
  /** Whether the host end of the n-th console is a terminal (for isatty). */
  consoleIsTerminal(index: number): boolean;
}

/** The capability name under which the kernel provides the VirtioPlatform. */
export const VIRTIO_MMIO_CAPABILITY = 'virtio-mmio' satisfies Capability;
