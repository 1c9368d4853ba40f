// @osv-ts/vmm: the host side of an osv-ts microVM.
export { Machine, GUEST_CRASH_STATUS, CommandLineTooLongError, maxCommandLineBytes } from './machine.js';
export type { BootfsSource, MachineConfig, MachineExit } from './machine.js';
export { VcpuWorker } from './vcpu-worker.js';
export type { VcpuWorkerOptions } from './vcpu-worker.js';
export type { KernelBoot } from './kernel-script.js';
export { planGuestRam, LayoutError, MAX_GUEST_RAM_BYTES } from './guest-ram-layout.js';
export type { GuestRamLayout, MmioSlot } from './guest-ram-layout.js';
export { parseMemorySize, formatMemorySize, MemorySizeError } from './memory-size.js';
export { FdConsoleSink } from './console/fd-console-sink.js';
export { RawFileBackend } from './blk/raw-file-backend.js';
export { NodeImageFile, MemoryImageFile } from './blk/image-file.js';
export type { ImageFile } from './blk/image-file.js';
export { Qcow2Image, Qcow2Error } from './blk/qcow2/qcow2-image.js';
export type { Qcow2CreateOptions } from './blk/qcow2/qcow2-image.js';
export { parseQcow2Header, QCOW2_MAGIC } from './blk/qcow2/qcow2-header.js';
export type { Qcow2Header } from './blk/qcow2/qcow2-header.js';
export { Qcow2Backend } from './blk/qcow2/qcow2-backend.js';
export { openDiskBackend, detectDiskFormat } from './blk/disk-image.js';
export type { DiskFormat, DiskOpenOptions } from './blk/disk-image.js';
export {
  lockDiskImage,
  lockImageForReplacement,
  openImageForRewrite,
  permissionsFor,
  BlockPermission,
  DiskLockedError,
  DiskLockError,
} from './blk/disk-lock.js';
export type { DiskAccess } from './blk/disk-lock.js';
export {
  writeBootRecord,
  readBootRecord,
  bootRecordBytes,
  BOOT_RECORD_MAGIC,
  BOOT_RECORD_VERSION,
  BOOT_RECORD_HEADER_BYTES,
  BOOT_PARTITION_TYPE,
  FS_PARTITION_TYPE,
} from './firmware/boot-record.js';
export type { BootRecord } from './firmware/boot-record.js';
export { loadBootImage } from './firmware/load-image.js';
export type { LoadedImage } from './firmware/load-image.js';
export { PasstBackend, parsePortForward } from './net/passt-backend.js';
export type { PortForward } from './net/passt-backend.js';
export { TapBackend } from './net/tap-backend.js';
export type { TapBackendOptions } from './net/tap-backend.js';
export { ensureNativeBinary, ensureTapRelay, TapRelayBuildError } from './net/tap-relay-binary.js';
export { cacheDir, CacheDirError } from './cache-dir.js';
export { FrameStreamDecoder, encodeStreamFrame, MAX_STREAM_FRAME_BYTES } from './net/frame-stream.js';
export {
  NODE_FS_CACHE_TIMEOUT_MS,
  NODE_FS_MAX_WRITE_BYTES,
  NODE_FS_READ_AHEAD_BYTES,
  NodeFsBackend,
} from './virtiofs/node-fs-backend.js';
export type { NodeFsBackendOptions } from './virtiofs/node-fs-backend.js';
