// What a device model (console, blk, net, rng) implements; the virtio-mmio transport model
// does the generic parts (registers, negotiation, queue setup) and calls these.
import type { GuestMemory } from '../guest-memory.js';
import type { DeviceVirtqueue } from './device-virtqueue.js';

export interface DeviceModelHost {
  /** Guest RAM, for buffer access. */
  readonly memory: GuestMemory;
  /** Raises the used-buffer interrupt if the queue's suppression state asks for it. */
  signalUsed(queue: DeviceVirtqueue): void;
  /** Raises a configuration-change interrupt (§2.5.2). */
  signalConfigChange(): void;
  /** Marks the device broken (DEVICE_NEEDS_RESET, §2.1.2) with a reason for the host log. */
  fail(reason: string): void;
}

export interface DeviceModel {
  readonly deviceId: number;
  readonly name: string;
  /** Feature bits the device offers (device-specific and reserved, e.g. VERSION_1). */
  readonly deviceFeatures: bigint;
  readonly numQueues: number;
  /** Largest queue size the device supports (QueueNumMax). */
  readonly maxQueueSize: number;
  /**
   * Bytes of the configuration space; the transport mirrors that many into the register shadow
   * (MmioShadow) for the driver's probe. Without it, every config read traps.
   */
  readonly configBytes?: number;
  /** Device configuration space (§4.2.2 offset 0x100), read by the guest. */
  readConfig(offset: number, size: number): number;
  writeConfig?(offset: number, size: number, value: number): void;
  /** Called when the driver sets DRIVER_OK, with the negotiated features and ready queues. */
  activate(host: DeviceModelHost, features: bigint, queues: readonly (DeviceVirtqueue | undefined)[]): void;
  /** The driver notified queue `index` (a buffer is available). */
  notify(index: number): void;
  /**
   * On a device thread (vhost-style, the device polls instead of waiting for each kick): does
   * all the work available now — chains the driver made available on any queue, with the
   * driver's notifications off while it drains, and back-end events — and raises at most one
   * interrupt per queue for the batch. Returns whether it did anything.
   */
  service?(): boolean;
  /**
   * Nothing in flight (every chain taken from a ring has been returned): the queues may move
   * to a device thread now. A model without it is never served here while a thread starts.
   */
  idle?(): boolean;
  /**
   * On a device thread, before it sleeps: turns the driver's notifications back on and says
   * whether sleeping is safe (false: work arrived meanwhile, call service() again).
   */
  quiesce?(): boolean;
  /** Device reset (status written 0): forget queues and in-flight work. */
  reset(): void;
  /** Counters for `osv run -V`. */
  readonly counters?: Record<string, number>;
}
