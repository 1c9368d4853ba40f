// The contract between the VMM (host thread) and the kernel (vCPU worker): where things sit in
// guest RAM at boot, and the words they signal each other through. Like a boot protocol
// (Linux's boot_params, OSv's multiboot info), it is a fixed layout, versioned.
//
// Guest RAM (one SharedArrayBuffer):
//   0x0000  boot info page (below); 0x100-0x27f: the posted-write batch of the MMIO trap
//   0x0400  kernel command line, NUL-terminated (max 1024 bytes, OSv's max_cmdline)
//   0x10000 virtio-mmio register windows, MMIO_WINDOW_BYTES each, announced on the command line
//           as `virtio_mmio.device=4K@0x10000:5` (Firecracker's syntax); the read-only registers
//           are mirrored in each window by the VMM (drivers-virtio's MmioShadow)
//   ...     bootfs image (OSv's bootfs.bin format), at bootfsAddress
//   ...     free RAM from freeRamStart, managed by the kernel's page allocator

export const BOOT_MAGIC = 0x5456534f; // "OSVT" little-endian
/**
 * 2: the MMIO trap carries a batch of posted writes (trapBatchCount, trapBatch); vcpuStartEpochMs.
 * 3: guestSleeping (an interrupt wakes the vCPU with Atomics.notify only while it is set).
 */
export const BOOT_ABI_VERSION = 3;

/** Byte offsets of the boot info page fields. */
export const BootInfo = {
  magic: 0x000, // u32
  abiVersion: 0x004, // u32
  vcpus: 0x008, // u32
  flags: 0x00c, // u32
  machineStartEpochMs: 0x010, // f64: when the VMM started the machine (bootchart stage 0)
  ramSizeBytes: 0x018, // f64 (exact integer)
  cmdlineAddress: 0x020, // u32
  cmdlineLength: 0x024, // u32
  bootfsAddress: 0x028, // u32
  bootfsLength: 0x02c, // u32
  freeRamStart: 0x030, // u32: first byte the kernel may allocate
  traceBufferAddress: 0x034, // u32: written by the kernel when tracing is on
  traceBufferLength: 0x038, // u32
  // Words used with Atomics (all 4-byte aligned i32):
  hostWake: 0x040, // guest → host doorbell sequence (ioeventfd)
  guestWake: 0x044, // host → guest interrupt sequence (irqfd)
  irqPending: 0x048, // bitmap of pending interrupt lines (bit n = irq n)
  powerState: 0x04c, // PowerState
  exitStatus: 0x050, // app exit status, valid once powerState is PowerOff
  // Non-zero while the vCPU sleeps in Atomics.wait on guestWake (written by the guest): whoever
  // raises an interrupt calls Atomics.notify only then. A notify is a trip through V8's global
  // futex mutex, which the woken thread takes next, so notifying a vCPU that is polling costs
  // both sides a contended lock for nothing.
  guestSleeping: 0x054,
  vcpuStartEpochMs: 0x058, // f64: when the VMM created the vCPU worker (bootchart "vCPU created"; 0: unknown)
  // MMIO trap mailbox (a synchronous VM exit for register accesses):
  trapState: 0x060, // TrapState
  trapOp: 0x064, // TrapOp
  trapAddress: 0x068, // u32 guest-physical address
  trapSize: 0x06c, // access width in bytes (1, 2, 4)
  trapValue: 0x070, // u32 value written, or value read back
  trapFault: 0x074, // TrapFault: the access (or a posted write, then named in trapAddress) hit no device
  // Posted writes (PCI's posted-write ordering: a later access never passes them): the VMM
  // performs trapBatchCount writes from trapBatch, in order, before the access in trapOp.
  trapBatchCount: 0x078, // u32, at most TRAP_BATCH_MAX
  trapBatch: 0x100, // TRAP_BATCH_MAX entries of { u32 address; u32 size; u32 value }
} as const;

export const TrapFault = { None: 0, Access: 1, PostedWrite: 2 } as const;
export const TRAP_BATCH_MAX = 32;
export const TRAP_BATCH_ENTRY_BYTES = 12;

export const CMDLINE_ADDRESS = 0x400;
export const CMDLINE_MAX_BYTES = 1024;
export const MMIO_BASE = 0x10000;
export const MMIO_WINDOW_BYTES = 0x1000;
export const MMIO_MAX_DEVICES = 32;
export const FIRST_IRQ = 5;

export const PowerState = { Running: 0, PowerOff: 1 } as const;
export const TrapState = { Idle: 0, Request: 1, Done: 2 } as const;
/** Flush: only the posted writes of the batch, no access of its own. */
export const TrapOp = { Read: 1, Write: 2, Flush: 3 } as const;

/**
 * Raises interrupt line `irq` (irqfd): marks it pending, bumps the guestWake sequence, and wakes
 * the vCPU if it sleeps. The vCPU sets guestSleeping before it compares guestWake in
 * Atomics.wait, and this bumps guestWake before it reads guestSleeping: with sequentially
 * consistent atomics either the vCPU sees the new sequence and does not sleep, or this sees the
 * flag and wakes it (Dekker's pattern).
 */
export function raiseGuestInterrupt(words: Int32Array, irq: number): void {
  Atomics.or(words, BootInfo.irqPending >>> 2, 1 << irq);
  Atomics.add(words, BootInfo.guestWake >>> 2, 1);
  if (Atomics.load(words, BootInfo.guestSleeping >>> 2) !== 0) Atomics.notify(words, BootInfo.guestWake >>> 2);
}
