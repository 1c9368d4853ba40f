// @osv-ts/drivers-virtio: virtio 1.2 split virtqueues, the virtio-mmio transport, guest drivers
// and host device models.
export { GuestMemory, GuestMemoryError } from './guest-memory.js';
export * from './ring/split-ring-layout.js';
export {
  MmioReg,
  MMIO_MAGIC,
  MMIO_VERSION,
  MmioShadow,
  SHADOW_MAGIC,
  DeviceStatus,
  DeviceId,
  Feature,
  INT_CONFIG,
  INT_VRING,
  bit,
} from './mmio/registers.js';
export type { MmioBus } from './mmio/mmio-bus.js';
export { GuestVirtqueue, VirtqueueFullError } from './guest/guest-virtqueue.js';
export type { BufferSegment, UsedBuffer } from './guest/guest-virtqueue.js';
export { VirtioMmioTransport, VirtioInitError } from './guest/mmio-transport.js';
export type { DmaAllocator, MmioDeviceInfo } from './guest/mmio-transport.js';
export { DeviceVirtqueue, VirtqueueError } from './device/device-virtqueue.js';
export type { DescriptorChain, Segment, DeviceQueueFeatures, RingPosition } from './device/device-virtqueue.js';
export type { DeviceModel, DeviceModelHost } from './device/device-model.js';
export { MmioTransportModel } from './device/mmio-transport-model.js';
export type { InterruptLine, QueueSetup, RemoteDataPlane } from './device/mmio-transport-model.js';
export { VirtioConsoleDevice, CONSOLE_RECEIVEQ, CONSOLE_TRANSMITQ } from './console/console-device.js';
export type { ConsoleSink } from './console/console-device.js';
export { VirtioConsoleDriver } from './console/console-driver.js';
export { VIRTIO_MMIO_CAPABILITY } from './virtio-platform.js';
export type { VirtioPlatform } from './virtio-platform.js';
export { LoopbackMachine } from './testing/loopback-machine.js';
export {
  BlkFeature,
  BlkConfig,
  BlkRequestType,
  BlkStatus,
  SECTOR_BYTES,
  BLK_REQUEST_HEADER_BYTES,
  BLK_ID_BYTES,
} from './blk/blk-format.js';
export { MemoryBlockBackend, FaultInjectingBackend, FaultRanges, BackendError } from './blk/block-backend.js';
export type { BlockBackend, BackendDone, FaultPlan, FaultOp, FaultRange } from './blk/block-backend.js';
export { VirtioBlkDevice } from './blk/blk-device.js';
export type { VirtioBlkOptions, BlkCounters } from './blk/blk-device.js';
export { VirtioBlkDriver } from './blk/blk-driver.js';
export type { VirtioBlkDriverOptions } from './blk/blk-driver.js';
export {
  parseMbr,
  hasMbrSignature,
  MBR_BYTES,
  MBR_TABLE_OFFSET,
  MBR_ENTRY_BYTES,
  MBR_SIGNATURE_OFFSET,
} from './blk/mbr.js';
export type { MbrPartition } from './blk/mbr.js';
export { PartitionBlockDevice } from './blk/partition-device.js';
export { scanPartitions } from './blk/partition-scan.js';
export { BLOCKDEV_CAPABILITY } from './blk/blk-module.js';
export { VirtioRngDevice, RNG_REQUESTQ } from './rng/rng-device.js';
export { VirtioRngDriver } from './rng/rng-driver.js';
export { segmentRange } from './ring/segment-range.js';
export {
  NetFeature,
  NetConfig,
  NET_S_LINK_UP,
  NET_RECEIVEQ,
  NET_TRANSMITQ,
  NET_HDR_BYTES,
  NET_HDR_F_NEEDS_CSUM,
  NET_HDR_F_DATA_VALID,
  onesSum,
  locateL4Checksum,
} from './net/net-format.js';
export { NetPair, LoopbackNetBackend } from './net/net-backend.js';
export type { GuestOffloads, NetBackend } from './net/net-backend.js';
export { VirtioNetDevice } from './net/net-device.js';
export type { VirtioNetOptions } from './net/net-device.js';
export { VirtioNetDriver } from './net/net-driver.js';
export type { VirtioNetDriverOptions } from './net/net-driver.js';
export type { IndirectTableAllocator } from './guest/guest-virtqueue.js';
export { IndirectTablePool } from './ring/indirect-pool.js';
export { FuseOpcode, FuseSetattrValid, FuseInitFlag, FuseSize, FUSE_ROOT_ID } from './fs/fuse-abi.js';
export { FuseFormatError } from './fs/fuse-format-error.js';
export { decodeFuseRequest, encodeFuseRequest } from './fs/fuse-request.js';
export type { FuseRequest, FuseRequestBody, FuseInHeader, FuseOp, FuseSetattr } from './fs/fuse-request.js';
export { decodeFuseReply, encodeFuseReply, direntBytes } from './fs/fuse-reply.js';
export type { FuseReply, FuseReplyBody, FuseAttr, FuseEntry, FuseDirent, FuseStatfs } from './fs/fuse-reply.js';
export type { FuseBackend } from './fs/fuse-backend.js';
export { VirtioFsDevice } from './fs/virtiofs-device.js';
export type { VirtioFsOptions, VirtioFsCounters } from './fs/virtiofs-device.js';
export { VirtioFsDriver, VIRTIOFS_MAX_IN_FLIGHT } from './fs/virtiofs-driver.js';
export type { VirtioFsDriverOptions } from './fs/virtiofs-driver.js';
export { DirectFuseSession } from './fs/fuse-session.js';
export type { FuseSession, FuseTicket } from './fs/fuse-session.js';
