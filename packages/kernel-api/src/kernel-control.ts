// What the kernel itself offers its modules (capability `kernel-control`): the facts only the
// composition root knows — command line, environment, boot log, host name, memory, power — for
// management modules such as httpserver-api (OSv's /os and /env routes read and change these).
import type { Capability } from './capability.js';

export const KERNEL_CONTROL_CAPABILITY = 'kernel-control' satisfies Capability;

export interface KernelControl {
  /** The kernel's version string (OSv's osv::version()). */
  readonly version: string;
  /** Where the kernel runs (`vm-node`, `vm-browser`, `inprocess`): the "hypervisor". */
  readonly target: string;
  /** The boot command line as the kernel received it. */
  commandLine(): string;
  /** The kernel's environment (OSv's --env= plus setenv): apps started later inherit it. */
  readonly environment: Map<string, string>;
  /** Kernel messages since boot (OSv's debug buffer behind dmesg). */
  bootLog(): string;
  hostname(): string;
  setHostname(name: string): void;
  memory(): { totalBytes: number; freeBytes: number };
  /**
   * Powers the guest off once the caller's thread unwinds: throws PowerOffRequest, which the
   * kernel catches where the running app or the boot sequence is, then syncs and stops.
   */
  powerOff(): never;
  /**
   * OSv's `PUT /app/?command=`: starts the programs of `commandLine` (OSv's application command
   * line; `&` separates apps, `;` is refused) in the background and returns their thread ids.
   * Throws AppLaunchError when the line does not parse or names no program the guest has.
   */
  startApps(commandLine: string): number[];
  /** Whether the app startApps gave this thread id is still waiting to run or running. */
  appRunning(tid: number): boolean;
}

/** A command line PUT /app/ cannot start: OSv's launch_error (the route answers 400). */
export class AppLaunchError extends Error {
  override readonly name = 'AppLaunchError';
}

/** Thrown by KernelControl.powerOff; not a KernelError, so no system call turns it into an errno. */
export class PowerOffRequest extends Error {
  override readonly name = 'PowerOffRequest';
  constructor(readonly reboot: boolean) {
    super(reboot ? 'reboot requested' : 'power-off requested');
  }
}
