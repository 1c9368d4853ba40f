// @osv-ts/kernel-api: interfaces only. Every subsystem package codes against these.
export { Errno, ENOTSUP, errnoName } from './errno.js';
export type { ErrnoName, ErrnoValue } from './errno.js';
export { KernelError, FormatError } from './kernel-error.js';
export { NS_PER_MS, NS_PER_S, NS_PER_US } from './clock.js';
export type { Clock } from './clock.js';
export type { Entropy } from './entropy.js';
export type { Console } from './console.js';
export type { BlockDevice } from './block-device.js';
export { DEVICE_FAULT_CAPABILITY } from './device-fault.js';
export type { DeviceFault } from './device-fault.js';
export type { NetDevice, NetOffloads } from './net-device.js';
export { CAPABILITIES, isCapability, allowsManyProviders } from './capability.js';
export type { Capability, CapabilityInfo } from './capability.js';
export type { KernelModule, ModuleContext, ModuleDeclaration, PackageModules, Target } from './module.js';
export { AppLaunchError, KERNEL_CONTROL_CAPABILITY, PowerOffRequest } from './kernel-control.js';
export { BUILTIN_PROGRAM_CAPABILITY } from './builtin-program.js';
export type { BuiltinProgram } from './builtin-program.js';
export type { KernelControl } from './kernel-control.js';
export { BootFlag } from './boot-flag.js';
export { HARDENED_REALM_OPTIONS } from './hardened-realm.js';
export { VCPU_ENTRY_PARAMETER } from './vcpu-entry.js';
export type { VcpuEntry } from './vcpu-entry.js';
export type { Realm } from './hardened-realm.js';
export {
  BOOT_ABI_VERSION,
  BOOT_MAGIC,
  BootInfo,
  CMDLINE_ADDRESS,
  CMDLINE_MAX_BYTES,
  FIRST_IRQ,
  MMIO_BASE,
  MMIO_MAX_DEVICES,
  MMIO_WINDOW_BYTES,
  PowerState,
  TRAP_BATCH_ENTRY_BYTES,
  TRAP_BATCH_MAX,
  TrapFault,
  TrapOp,
  TrapState,
  raiseGuestInterrupt,
} from './machine-abi.js';
