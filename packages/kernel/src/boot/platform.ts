// What the kernel needs from the machine it boots on. Two implementations: the vCPU worker
// of a microVM (vm-platform.ts) and the caller's own thread (inprocess-platform.ts).
import type { Clock, Console, Entropy, Target } from '@osv-ts/kernel-api';
import type { Bootchart, Cpu, PageAllocator } from '@osv-ts/core-sched';
import type { ModuleRegistry } from './module-registry.js';
import type { BootfsEntry } from './bootfs-files.js';
import type { AppCommand } from '../cmdline/app-commands.js';
import type { FileSystem } from '@osv-ts/vfs';

export interface Platform {
  readonly target: Target;
  readonly clock: Clock;
  readonly entropy: Entropy;
  readonly cpu: Cpu;
  readonly bootchart: Bootchart;
  /** Milliseconds on the bootchart's scale (epoch-based, shared with the VMM). */
  nowMs(): number;
  /** The kernel command line, with virtio_mmio.device tokens already taken out. */
  readonly cmdline: string;
  /** Commands given directly (inprocess), instead of parsing the app command line. */
  readonly commands?: readonly AppCommand[];
  /** Programs given compiled (inprocess): guest path → module, loaded instead of a file. */
  readonly programs?: ReadonlyMap<string, WebAssembly.Module>;
  /**
   * File systems mounted at these guest paths after the root (inprocess: node:wasi's preopens).
   * When given, they are the app's WASI preopens, in this order (fd 3, 4, …), instead of `/`.
   */
  readonly preopens?: ReadonlyMap<string, FileSystem>;
  /** Environment of every app, after the command line's --env= options. */
  readonly env?: ReadonlyMap<string, string>;
  /** Files of the boot file system (OSv's bootfs). */
  readonly bootfs: ReadonlyMap<string, BootfsEntry>;
  /** The raw bootfs image (OSv's bootfs.bin), for unpacking into a ramfs root. */
  readonly bootfsImage: Uint8Array;
  /**
   * The page allocator over guest RAM (vm targets). When present, an app's wasm memory is
   * capped to and charged against it; inprocess apps live in the host's memory uncapped.
   */
  readonly allocator?: PageAllocator;
  /** Memory figures for /proc/meminfo. */
  memoryFigures(): { totalBytes: number; freeBytes: number; availableBytes?: number };
  /** Whether host input is connected to the console (otherwise stdin reads as end of file). */
  readonly stdinConnected: boolean;
  /** A region for the trace ring that the host can read (guest RAM on the vm targets). */
  traceRegion?(): Uint8Array;
  /** Registers platform services (bus, memory, allocator) before modules initialise. */
  registerServices(registry: ModuleRegistry): void;
  /** Consoles to use when no console module is linked (inprocess). */
  fallbackConsoles(): Console[];
}
