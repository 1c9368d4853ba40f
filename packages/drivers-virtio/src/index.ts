// @osv-ts/drivers-virtio: virtio 1.2 split virtqueues, the virtio-mmio transport, guest drivers
// and host device models.
export { GuestMemory, GuestMemoryError } from './guest-memory.js';
export * from './ring/split-ring-layout.js';
export { MmioReg, MMIO_MAGIC, MMIO_VERSION, DeviceStatus, DeviceId, Feature, INT_CONFIG, INT_VRING, bit } from './mmio/registers.js';
export type { MmioBus } from './mmio/mmio-bus.js';
export { GuestVirtqueue, VirtqueueFullError } from './guest/guest-virtqueue.js';
export type { BufferSegment, UsedBuffer } from './guest/guest-virtqueue.js';
export { VirtioMmioTransport, VirtioInitError } from './guest/mmio-transport.js';
export type { DmaAllocator, MmioDeviceInfo } from './guest/mmio-transport.js';
export { DeviceVirtqueue, VirtqueueError } from './device/device-virtqueue.js';
export type { DescriptorChain, Segment, DeviceQueueFeatures } from './device/device-virtqueue.js';
export type { DeviceModel, DeviceModelHost } from './device/device-model.js';
export { MmioTransportModel } from './device/mmio-transport-model.js';
export type { InterruptLine } from './device/mmio-transport-model.js';
export { VirtioConsoleDevice, CONSOLE_RECEIVEQ, CONSOLE_TRANSMITQ } from './console/console-device.js';
export type { ConsoleSink } from './console/console-device.js';
export { VirtioConsoleDriver } from './console/console-driver.js';
export { VIRTIO_MMIO_CAPABILITY } from './virtio-platform.js';
export type { VirtioPlatform } from './virtio-platform.js';
export { LoopbackMachine } from './testing/loopback-machine.js';
