// The microVM platform: a vCPU worker whose RAM is the SharedArrayBuffer the VMM created.
// Reads the boot info page, exposes the virtio-mmio windows named on the command line, and
// powers off by publishing the exit status and halting.
import {
  BOOT_ABI_VERSION,
  BOOT_MAGIC,
  BootFlag,
  BootInfo,
  PowerState,
  type Console,
  type Target,
} from '@osv-ts/kernel-api';
import { Bootchart, HostClock, PageAllocator } from '@osv-ts/core-sched';
import { GuestMemory, VIRTIO_MMIO_CAPABILITY, type MmioDeviceInfo, type VirtioPlatform } from '@osv-ts/drivers-virtio';
import { extractMmioDevices } from '../cmdline/mmio-device-tokens.js';
import { bootfsByPath, type BootfsEntry } from '../boot/bootfs-files.js';
import type { ModuleRegistry } from '../boot/module-registry.js';
import type { Platform } from '../boot/platform.js';
import { CpuEntropy } from './cpu-entropy.js';
import { TrapMmioBus } from './trap-mmio-bus.js';
import { VmCpu } from './vm-cpu.js';

/** Boot info flags (BootInfo.flags): kernel-api's, re-exported for the kernel's users. */
export { BootFlag };

const TRACE_RING_BYTES = 1 << 20;

export class BootInfoError extends Error {
  override readonly name = 'BootInfoError';
}

export class VmPlatform implements Platform {
  readonly target: Target = 'vm-node';
  readonly memory: GuestMemory;
  readonly clock: HostClock;
  readonly entropy = new CpuEntropy();
  readonly cpu: VmCpu;
  readonly bus: TrapMmioBus;
  readonly bootchart: Bootchart;
  readonly cmdline: string;
  readonly devices: MmioDeviceInfo[];
  readonly bootfs: ReadonlyMap<string, BootfsEntry>;
  readonly bootfsImage: Uint8Array;
  readonly allocator: PageAllocator;
  readonly stdinConnected: boolean;
  private readonly flags: number;
  private readonly epochOffsetMs: number;

  constructor(
    ram: SharedArrayBuffer,
    target: Target = 'vm-node',
    /** The VMM's hook, run just before power-off is signalled (VcpuEntry.poweringOff). */
    private readonly poweringOff?: () => void,
  ) {
    this.target = target;
    const mem = (this.memory = new GuestMemory(ram));
    const v = mem.view;
    if (mem.sizeBytes < 4096 || v.getUint32(BootInfo.magic, true) !== BOOT_MAGIC)
      throw new BootInfoError('no osv-ts boot info in guest RAM (bad magic)');
    const abi = v.getUint32(BootInfo.abiVersion, true);
    if (abi !== BOOT_ABI_VERSION) throw new BootInfoError(`boot ABI version ${abi}, kernel speaks ${BOOT_ABI_VERSION}`);
    this.epochOffsetMs = performance.timeOrigin;
    this.clock = new HostClock(v.getFloat64(BootInfo.machineStartEpochMs, true) - performance.timeOrigin);
    this.bootchart = new Bootchart(v.getFloat64(BootInfo.machineStartEpochMs, true));
    // Both stamped by the VMM's clock (epoch ms, as this worker's): the vCPU worker created,
    // then this first line of the kernel, after the worker's start-up and the bundle's compile.
    const created = v.getFloat64(BootInfo.vcpuStartEpochMs, true);
    if (created > 0) this.bootchart.stamp('vCPU created', created);
    this.bootchart.stamp('vCPU started', this.nowMs());
    this.flags = v.getUint32(BootInfo.flags, true);
    this.stdinConnected = (this.flags & BootFlag.STDIN_CONNECTED) !== 0;
    const cmdAddr = v.getUint32(BootInfo.cmdlineAddress, true);
    const cmdLen = v.getUint32(BootInfo.cmdlineLength, true);
    const raw = new TextDecoder().decode(mem.slice(cmdAddr, cmdLen, 'command line').slice());
    const { devices, rest } = extractMmioDevices(raw);
    this.cmdline = rest;
    this.devices = devices
      .map((d) => ({ baseAddress: d.baseAddress, sizeBytes: d.sizeBytes, irq: d.irq }))
      .sort((a, b) => a.baseAddress - b.baseAddress);
    const bootfsAddr = v.getUint32(BootInfo.bootfsAddress, true);
    const bootfsLen = v.getUint32(BootInfo.bootfsLength, true);
    this.bootfsImage = mem.slice(bootfsAddr, bootfsLen, 'bootfs');
    this.bootfs = bootfsLen > 0 ? bootfsByPath(this.bootfsImage) : new Map();
    const freeStart = v.getUint32(BootInfo.freeRamStart, true);
    this.allocator = new PageAllocator(freeStart, mem.sizeBytes - freeStart);
    this.cpu = new VmCpu(mem, this.clock);
    this.bus = new TrapMmioBus(mem);
  }

  nowMs(): number {
    return this.epochOffsetMs + performance.now();
  }

  registerServices(registry: ModuleRegistry): void {
    const virtio: VirtioPlatform = {
      memory: this.memory,
      bus: this.bus,
      dma: this.allocator,
      sched: registry.get('scheduler'),
      devices: this.devices,
      onInterrupt: (irq, handler) => this.cpu.onInterrupt(irq, handler),
      consoleIsTerminal: (index) => (this.flags & (index === 0 ? BootFlag.STDOUT_TTY : BootFlag.STDERR_TTY)) !== 0,
    };
    registry.provide(VIRTIO_MMIO_CAPABILITY, virtio);
    registry.provide('page-allocator', this.allocator);
    registry.provide('clock', this.clock);
    registry.provide('entropy', this.entropy);
  }

  memoryFigures(): { totalBytes: number; freeBytes: number } {
    return { totalBytes: this.memory.sizeBytes, freeBytes: this.allocator.freeBytes };
  }

  /** 1 MiB of guest RAM for the trace ring, published in the boot info page for the VMM. */
  traceRegion(): Uint8Array {
    const bytes = TRACE_RING_BYTES;
    const address = this.allocator.alloc(bytes);
    this.memory.view.setUint32(BootInfo.traceBufferAddress, address, true);
    this.memory.view.setUint32(BootInfo.traceBufferLength, bytes, true);
    return this.memory.slice(address, bytes, 'trace ring');
  }

  fallbackConsoles(): Console[] {
    return [];
  }

  /** Publishes the exit status, wakes the VMM, and halts this vCPU for good. */
  powerOff(status: number): never {
    const w = this.memory.words;
    try {
      this.poweringOff?.();
    } catch {
      // The host's business (a code cache it could not write); the exit status still goes out.
    }
    this.memory.view.setInt32(BootInfo.exitStatus, status | 0, true);
    Atomics.store(w, BootInfo.powerState >>> 2, PowerState.PowerOff);
    this.bus.ringDoorbell();
    for (;;) Atomics.wait(w, BootInfo.powerState >>> 2, PowerState.PowerOff);
  }
}
