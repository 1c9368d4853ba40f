// The inprocess target (docs/architecture.md §1): the same kernel on the caller's thread, with host
// consoles instead of virtio and a CPU that idles by sleeping until the next timer.
import type { Console, Target } from '@osv-ts/kernel-api';
import type { FileSystem } from '@osv-ts/vfs';
import { Bootchart, HostClock, PageAllocator, type Cpu } from '@osv-ts/core-sched';
import type { BootfsEntry } from '../boot/bootfs-files.js';
import type { ModuleRegistry } from '../boot/module-registry.js';
import type { Platform } from '../boot/platform.js';
import type { AppCommand } from '../cmdline/app-commands.js';
import { CpuEntropy } from './cpu-entropy.js';

class InprocessCpu implements Cpu {
  private readonly sleeper = new Int32Array(new SharedArrayBuffer(4));
  constructor(private readonly clock: HostClock) {}
  pollInterrupts(): boolean {
    return false;
  }
  idle(deadlineNs: number | undefined): boolean {
    // Nothing but a timer can wake an inprocess kernel: without one, waiting is a deadlock.
    if (deadlineNs === undefined) return false;
    const ms = (deadlineNs - this.clock.monotonicNs()) / 1e6;
    if (ms > 0) Atomics.wait(this.sleeper, 0, 0, ms);
    return true;
  }
}

export interface InprocessPlatformOptions {
  readonly cmdline: string;
  readonly commands?: readonly AppCommand[];
  readonly files: ReadonlyMap<string, BootfsEntry>;
  readonly programs?: ReadonlyMap<string, WebAssembly.Module>;
  readonly preopens?: ReadonlyMap<string, FileSystem>;
  readonly env?: ReadonlyMap<string, string>;
  /** OSv bootfs image unpacked into the root when a VFS module is linked. */
  readonly bootfsImage?: Uint8Array;
  readonly consoles: Console[];
  /**
   * A RAM size to hold the app to (its wasm memory is capped and charged as on a microVM, and
   * /proc/meminfo reports it). Without it the app lives in the host's memory, uncapped.
   */
  readonly ramBytes?: number;
}

export class InprocessPlatform implements Platform {
  readonly target: Target = 'inprocess';
  readonly clock = new HostClock();
  readonly entropy = new CpuEntropy();
  readonly cpu = new InprocessCpu(this.clock);
  readonly bootchart = new Bootchart(this.nowMs());
  readonly cmdline: string;
  readonly commands?: readonly AppCommand[];
  readonly bootfs: ReadonlyMap<string, BootfsEntry>;
  readonly programs?: ReadonlyMap<string, WebAssembly.Module>;
  readonly preopens?: ReadonlyMap<string, FileSystem>;
  readonly env?: ReadonlyMap<string, string>;
  readonly stdinConnected = true;
  readonly bootfsImage: Uint8Array;
  /** Accounting only: the inprocess target has no guest RAM buffer, just a budget. */
  readonly allocator?: PageAllocator;

  constructor(private readonly options: InprocessPlatformOptions) {
    this.cmdline = options.cmdline;
    if (options.ramBytes !== undefined) this.allocator = new PageAllocator(0, options.ramBytes);
    if (options.commands) this.commands = options.commands;
    if (options.programs) this.programs = options.programs;
    if (options.preopens) this.preopens = options.preopens;
    if (options.env) this.env = options.env;
    this.bootfs = options.files;
    this.bootfsImage = options.bootfsImage ?? new Uint8Array(0);
  }

  memoryFigures(): { totalBytes: number; freeBytes: number } {
    const a = this.allocator;
    return a ? { totalBytes: a.totalBytes, freeBytes: a.freeBytes } : { totalBytes: 0, freeBytes: 0 };
  }

  nowMs(): number {
    return performance.timeOrigin + performance.now();
  }

  registerServices(registry: ModuleRegistry): void {
    registry.provide('clock', this.clock);
    registry.provide('entropy', this.entropy);
  }

  fallbackConsoles(): Console[] {
    return this.options.consoles;
  }
}
