// virtio-mmio register layout, version 2 (virtio 1.2 §4.2.2), and the common constants of
// §2.1 (status), §5 (device ids) and §6 (reserved feature bits).

export const MmioReg = {
  MagicValue: 0x000,
  Version: 0x004,
  DeviceID: 0x008,
  VendorID: 0x00c,
  DeviceFeatures: 0x010,
  DeviceFeaturesSel: 0x014,
  DriverFeatures: 0x020,
  DriverFeaturesSel: 0x024,
  QueueSel: 0x030,
  QueueNumMax: 0x034,
  QueueNum: 0x038,
  QueueReady: 0x044,
  QueueNotify: 0x050,
  /**
   * osv-ts fast-path word in the reserved space after QueueNotify: non-zero when a device thread
   * of its own waits on the QueueNotify word (vhost's ioeventfd), so the guest wakes it with
   * Atomics.notify on that word instead of ringing the VMM's doorbell. Written by the VMM.
   */
  OsvNotifyWaiter: 0x054,
  /**
   * osv-ts fast-path word: non-zero while that device thread sleeps in Atomics.wait on the
   * QueueNotify word (written by the thread). The guest notifies only then: a thread that is
   * polling sees the kick's bit in the word, and Atomics.notify would only make both threads
   * contend for V8's global futex mutex.
   */
  OsvNotifySleeping: 0x058,
  InterruptStatus: 0x060,
  InterruptACK: 0x064,
  Status: 0x070,
  QueueDescLow: 0x080,
  QueueDescHigh: 0x084,
  QueueDriverLow: 0x090,
  QueueDriverHigh: 0x094,
  QueueDeviceLow: 0x0a0,
  QueueDeviceHigh: 0x0a4,
  ShmSel: 0x0ac,
  ShmLenLow: 0x0b0,
  ShmLenHigh: 0x0b4,
  ShmBaseLow: 0x0b8,
  ShmBaseHigh: 0x0bc,
  QueueReset: 0x0c0,
  ConfigGeneration: 0x0fc,
  Config: 0x100,
} as const;

/**
 * osv-ts register shadow (a paravirtual extension, as KVM's pvclock page is): the read-only,
 * side-effect-free registers of §4.2.2, written into the device's window in guest RAM by the
 * VMM before the vCPU runs, so a driver's probe reads them with a plain load instead of an
 * MMIO trap. MagicValue, Version, DeviceID and VendorID sit at their own offsets (0x000-0x00c);
 * the device configuration space at its own offset (0x100, `configBytes` of it); the registers
 * that a selector picks (DeviceFeatures by DeviceFeaturesSel, QueueNumMax by QueueSel) in the
 * table below, at window offset 0x800 — so with a shadow, config space is at most 0x700 bytes.
 * Valid only while `magic` holds SHADOW_MAGIC (a VMM without the shadow leaves it 0, and the
 * driver traps as before). Registers with side effects or state (Status, QueueReady,
 * InterruptStatus, ConfigGeneration) and every write still trap.
 */
export const MmioShadow = {
  offset: 0x800,
  magic: 0x00, // u32 SHADOW_MAGIC once the VMM has written the shadow
  configBytes: 0x04, // u32: bytes of config space mirrored at window offset 0x100
  queueCount: 0x08, // u32: entries in the QueueNumMax table
  deviceFeatures: 0x10, // u32[2]: DeviceFeatures for DeviceFeaturesSel 0 and 1
  queueNumMax: 0x20, // u32[queueCount]: QueueNumMax for QueueSel 0, 1, ...
} as const;

export const SHADOW_MAGIC = 0x57444853; // "SHDW"
/** The most config space a shadow mirrors (from 0x100 up to the table at 0x800). */
export const SHADOW_MAX_CONFIG_BYTES = MmioShadow.offset - MmioReg.Config;
/** The most queues the QueueNumMax table holds (to the end of a 4 KiB window). */
export const SHADOW_MAX_QUEUES = (0x1000 - MmioShadow.offset - MmioShadow.queueNumMax) / 4;

export const MMIO_MAGIC = 0x74726976; // "virt"
export const MMIO_VERSION = 2;
export const OSV_TS_VENDOR_ID = 0x5456534f; // "OSVT"

/** Device status bits (§2.1). */
export const DeviceStatus = {
  ACKNOWLEDGE: 1,
  DRIVER: 2,
  DRIVER_OK: 4,
  FEATURES_OK: 8,
  DEVICE_NEEDS_RESET: 64,
  FAILED: 128,
} as const;

/** InterruptStatus bits (§4.2.2). */
export const INT_VRING = 1;
export const INT_CONFIG = 2;

/** Device IDs (§5). */
export const DeviceId = { Net: 1, Block: 2, Console: 3, Entropy: 4, Fs: 26 } as const;

/** Reserved feature bits (§6). */
export const Feature = {
  INDIRECT_DESC: 28n,
  EVENT_IDX: 29n,
  VERSION_1: 32n,
  ACCESS_PLATFORM: 33n,
  RING_PACKED: 34n,
} as const;

export function bit(n: bigint): bigint {
  return 1n << n;
}
