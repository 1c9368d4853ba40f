// The VMM of the vm-browser target: the same machine as @osv-ts/vmm's Machine — guest RAM in a
// SharedArrayBuffer, one vCPU Worker running the composed kernel, virtio-mmio device models
// serviced on this (the page's) thread — on web APIs only: a module Worker given its RAM in its
// first message, Atomics.waitAsync for the guest's doorbell (docs/architecture.md §1).
// The register shadow (drivers-virtio's transport model writes it) and the MMIO trap with its
// posted writes (@osv-ts/vmm/mmio-trap) are shared with that Machine, so both speak one boot ABI.
// Isomorphic (no node: imports): osv build bundles it for the page.
import { BOOT_ABI_VERSION, BOOT_MAGIC, BootInfo, PowerState, raiseGuestInterrupt } from '@osv-ts/kernel-api';
import { GuestMemory, MmioTransportModel, type DeviceModel } from '@osv-ts/drivers-virtio';
import { planGuestRam, type MmioSlot } from '@osv-ts/vmm/guest-ram-layout';
import { serviceMmioTrap } from '@osv-ts/vmm/mmio-trap';

export interface BrowserMachineConfig {
  readonly memBytes: number;
  /** OSv command line; the VMM puts the virtio_mmio.device tokens in front of it. */
  readonly cmdline: string;
  /** URL of the composed kernel bundle (an ES module). */
  readonly kernelUrl: string;
  /** Device models, in MMIO slot order. */
  readonly devices: readonly DeviceModel[];
  /** OSv bootfs.bin image (may be empty). */
  readonly bootfs: Uint8Array;
  /** BootInfo.flags: @osv-ts/kernel's BootFlag bits (which stdio is a terminal, stdin connected). */
  readonly bootFlags: number;
}

/** The exit status of a vCPU that died without powering off, as in @osv-ts/vmm. */
export const GUEST_CRASH_STATUS = 70;

export function runBrowserMachine(config: BrowserMachineConfig): Promise<{ status: number; error?: string }> {
  const layout = planGuestRam(config.memBytes, config.devices.length, config.bootfs.length);
  const memory = new GuestMemory(new SharedArrayBuffer(config.memBytes));
  const w = memory.words;
  const raise = (irq: number): void => raiseGuestInterrupt(w, irq);
  const transports = layout.mmio.map(
    (slot, i) =>
      new MmioTransportModel(memory, slot.baseAddress, slot.irq, config.devices[i]!, { raise: () => raise(slot.irq) }),
  );
  writeBootInfo(memory, layout, [...mmioTokens(layout.mmio), config.cmdline].join(' '), config);

  return new Promise((resolve) => {
    memory.view.setFloat64(BootInfo.vcpuStartEpochMs, performance.timeOrigin + performance.now(), true);
    const worker = new Worker(config.kernelUrl, { type: 'module' });
    let done = false;
    const finish = (exit: { status: number; error?: string }): void => {
      if (done) return;
      done = true;
      worker.terminate();
      resolve(exit);
    };
    worker.onerror = (e) => finish({ status: GUEST_CRASH_STATUS, error: `vCPU crashed: ${e.message}` });
    worker.postMessage({ ram: memory.buffer });
    const wake = BootInfo.hostWake >>> 2;
    const service = async (): Promise<void> => {
      while (!done) {
        const seq = Atomics.load(w, wake);
        serviceMmioTrap(memory, transports);
        for (const t of transports) {
          const bits = t.takePostedNotifications();
          if (bits !== 0) t.notify(bits);
        }
        if (Atomics.load(w, BootInfo.powerState >>> 2) === PowerState.PowerOff) {
          finish({ status: memory.view.getInt32(BootInfo.exitStatus, true) & 0xff });
          return;
        }
        const wait = Atomics.waitAsync(w, wake, seq);
        if (wait.async) await wait.value;
      }
    };
    void service();
  });
}

function mmioTokens(slots: readonly MmioSlot[]): string[] {
  return slots.map((s) => `virtio_mmio.device=${s.sizeBytes / 1024}K@0x${s.baseAddress.toString(16)}:${s.irq}`);
}

function writeBootInfo(
  memory: GuestMemory,
  layout: ReturnType<typeof planGuestRam>,
  cmdline: string,
  { bootfs, bootFlags }: BrowserMachineConfig,
): void {
  const v = memory.view;
  const cmd = new TextEncoder().encode(cmdline);
  v.setUint32(BootInfo.magic, BOOT_MAGIC, true);
  v.setUint32(BootInfo.abiVersion, BOOT_ABI_VERSION, true);
  v.setUint32(BootInfo.vcpus, 1, true);
  v.setUint32(BootInfo.flags, bootFlags, true);
  v.setFloat64(BootInfo.machineStartEpochMs, performance.timeOrigin + performance.now(), true);
  v.setFloat64(BootInfo.ramSizeBytes, layout.ramBytes, true);
  memory.bytes.set(cmd, layout.cmdlineAddress);
  memory.bytes[layout.cmdlineAddress + cmd.length] = 0;
  v.setUint32(BootInfo.cmdlineAddress, layout.cmdlineAddress, true);
  v.setUint32(BootInfo.cmdlineLength, cmd.length, true);
  memory.bytes.set(bootfs, layout.bootfsAddress);
  v.setUint32(BootInfo.bootfsAddress, layout.bootfsAddress, true);
  v.setUint32(BootInfo.bootfsLength, bootfs.length, true);
  v.setUint32(BootInfo.freeRamStart, layout.freeRamStart, true);
}
