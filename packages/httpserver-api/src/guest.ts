// What the routes manage: the running guest's kernel services. The module collects them from the
// kernel's registry at boot; tests build them from in-process parts (a ramfs, a loopback stack).
import type { Scheduler } from '@osv-ts/core-sched';
import type { Clock, KernelControl } from '@osv-ts/kernel-api';
import type { NetStack } from '@osv-ts/netstack';
import type { Vfs } from '@osv-ts/vfs';

export interface Guest {
  readonly control: KernelControl;
  readonly sched: Scheduler;
  readonly clock: Clock;
  /** Absent in a kernel without a VFS: the file and fs routes answer 500. */
  readonly vfs?: Vfs;
  readonly stack?: NetStack;
  /**
   * Replaces the command line the next boot uses (OSv writes it to /dev/vblk0; an osv-ts
   * image keeps it in its boot record there); throws KernelError when it cannot.
   */
  setCommandLine(cmdline: string): void;
}
