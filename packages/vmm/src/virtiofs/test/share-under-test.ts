// For the virtiofs tests: a virtio-fs device mounted at /data of a fresh VFS, through the
// guest driver, virtqueues in a loopback machine's RAM and the device model, all on one thread.
import { KernelError } from '@osv-ts/kernel-api';
import { HostClock, PageAllocator, Scheduler } from '@osv-ts/core-sched';
import {
  LoopbackMachine,
  VirtioFsDriver,
  VirtioMmioTransport,
  type FuseSession,
  type VirtioFsDevice,
} from '@osv-ts/drivers-virtio';
import { RamFs, Vfs, VirtioFs, type VirtioFsClock } from '@osv-ts/vfs';

export interface ShareUnderTestOptions {
  /** Guest RAM (default 8 MiB); DMA memory is all of it above the first MiB. */
  readonly memoryBytes?: number;
  /** false: the device answers only when the guest blocks (several requests out at once). */
  readonly autoService?: boolean;
  /** The entry/attr cache's clock (none: nothing is cached). */
  readonly clock?: VirtioFsClock;
  /** WRITEs out at once behind a writer (VirtioFsMountOptions.writeBehindDepth; default 0). */
  readonly writeBehindDepth?: number;
  /** What the file system talks to instead of the driver itself (a recording proxy). */
  readonly wrapSession?: (driver: FuseSession) => FuseSession;
}

export function mountShare(
  device: VirtioFsDevice,
  options: ShareUnderTestOptions = {},
): { vfs: Vfs; driver: VirtioFsDriver; fs: VirtioFs } {
  const memoryBytes = options.memoryBytes ?? 8 << 20;
  const machine = new LoopbackMachine(memoryBytes, [device]);
  machine.autoService = options.autoService ?? true;
  const driver = new VirtioFsDriver(
    'virtiofs0',
    new VirtioMmioTransport(machine.memory, machine, machine.devices[0]!),
    machine.memory,
    new PageAllocator(0x100000, memoryBytes - (2 << 20)),
    new Scheduler(new HostClock(), machine),
  );
  machine.onInterrupt(machine.devices[0]!.irq, () => driver.onInterrupt());
  driver.init();
  const vfs = new Vfs({ clock: new HostClock() });
  vfs.mountRoot(new RamFs());
  vfs.mkdir('/data', 0o755);
  const fs = new VirtioFs(options.wrapSession?.(driver) ?? driver, {
    ...(options.clock ? { clock: options.clock } : {}),
    writeBehindDepth: options.writeBehindDepth ?? 0,
  });
  vfs.mount('/data', fs, { source: '/dev/virtiofs0' });
  return { vfs, driver, fs };
}

/** `length` bytes of a seeded LCG: different seeds, different contents. */
export function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) out[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  return out;
}

/** The errno `f` throws as a KernelError, or undefined when it returns. */
export function errnoOf(f: () => unknown): number | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof KernelError) return e.errno;
    throw e;
  }
  return undefined;
}
