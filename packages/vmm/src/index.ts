// @osv-ts/vmm: the host side of an osv-ts microVM.
export { Machine, GUEST_CRASH_STATUS } from './machine.js';
export type { MachineConfig, MachineExit } from './machine.js';
export { planGuestRam, LayoutError } from './guest-ram-layout.js';
export type { GuestRamLayout, MmioSlot } from './guest-ram-layout.js';
export { parseMemorySize, formatMemorySize, MemorySizeError } from './memory-size.js';
