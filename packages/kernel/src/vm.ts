// Entry point of the vm-node / vm-browser targets: the composed kernel bundle calls bootVm with
// the guest RAM the VMM handed to the vCPU worker and the modules the linker selected.
import type { KernelModule, Target, VcpuEntry } from '@osv-ts/kernel-api';
import { Kernel } from './boot/kernel.js';
import { VmPlatform } from './platform/vm-platform.js';

/** Exit status when the kernel itself fails (EX_SOFTWARE). */
export const KERNEL_PANIC_STATUS = 70;

/**
 * Boots the kernel on the guest RAM the VMM handed over and powers off with its status; never
 * returns. `entry`: the VMM's hooks (vm-node's VcpuEntry: poweringOff).
 */
export function bootVm(
  ram: SharedArrayBuffer,
  modules: readonly KernelModule[],
  target: Target = 'vm-node',
  entry?: Pick<VcpuEntry, 'poweringOff'>,
): never {
  const platform = new VmPlatform(ram, target, entry?.poweringOff);
  const kernel = new Kernel(platform, modules);
  let status: number;
  try {
    status = kernel.boot();
  } catch (e) {
    // A bug in the kernel: one line, the stack with --verbose (osv run -V). `||`: after a JS
    // app's lockdown, error.stack is '' (SES errorTaming 'safe').
    const error = e instanceof Error ? e : new Error(String(e));
    kernel.log(
      kernel.options?.verbose
        ? `kernel panic: ${error.stack || `${error.name}: ${error.message}`}\n`
        : `kernel panic: ${error.name}: ${error.message.split('\n', 1)[0]} (boot with --verbose for the stack)\n`,
    );
    status = KERNEL_PANIC_STATUS;
  }
  return platform.powerOff(status);
}

export { Kernel, VmPlatform };
