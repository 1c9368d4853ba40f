// The driver's side of virtio-mmio (virtio 1.2 §4.2.3): probing a window, the initialization
// sequence of §3.1.1, queue setup and notification. Device drivers (console, blk, net, rng)
// sit on top of this. Where the VMM provides the register shadow (MmioShadow), the read-only
// registers of the probe come from guest RAM without a trap; config space too, until DRIVER_OK
// (after it, the device may change it: §4.2.2's generation protocol needs the trapped reads).
import type { GuestMemory } from '../guest-memory.js';
import { contiguousLayout, isValidQueueSize, splitRingBytes } from '../ring/split-ring-layout.js';
import {
  DeviceStatus,
  Feature,
  MMIO_MAGIC,
  MMIO_VERSION,
  MmioReg,
  MmioShadow,
  SHADOW_MAGIC,
  bit,
} from '../mmio/registers.js';
import type { MmioBus } from '../mmio/mmio-bus.js';
import { GuestVirtqueue, type IndirectTableAllocator } from './guest-virtqueue.js';

/** Where ring memory comes from (core-sched's PageAllocator in a kernel). */
export interface DmaAllocator {
  alloc(sizeBytes: number): number;
  free(address: number): void;
}

export class VirtioInitError extends Error {
  override readonly name = 'VirtioInitError';
}

export interface MmioDeviceInfo {
  readonly baseAddress: number;
  readonly sizeBytes: number;
  readonly irq: number;
}

export class VirtioMmioTransport {
  private negotiated = 0n;
  private readonly queueMemory: number[] = [];
  private readonly notifyWord: number;
  private readonly notifyWaiterWord: number;
  private readonly notifySleepingWord: number;
  private readonly interruptWord: number;
  /** Guest-physical address of the shadow table, or undefined without a shadow. */
  private readonly shadow: number | undefined;
  /** Config space is read from the shadow until the driver sets DRIVER_OK. */
  private configShadowed: boolean;
  /** Status as the device confirmed it at FEATURES_OK (0: not negotiated since the last reset). */
  private confirmedStatus = 0;
  /** Queues set up since this driver last reset the device (undefined: it has not reset it). */
  private queuesSinceReset: Set<number> | undefined;
  /** Queue setups the DRIVER_OK read-back vouches for, for its error message. */
  private readonly queuesToConfirm: string[] = [];
  readonly counters = { shadowReads: 0 };

  constructor(
    private readonly mem: GuestMemory,
    private readonly bus: MmioBus,
    readonly info: MmioDeviceInfo,
  ) {
    this.notifyWord = mem.wordIndex(info.baseAddress + MmioReg.QueueNotify);
    this.notifyWaiterWord = mem.wordIndex(info.baseAddress + MmioReg.OsvNotifyWaiter);
    this.notifySleepingWord = mem.wordIndex(info.baseAddress + MmioReg.OsvNotifySleeping);
    this.interruptWord = mem.wordIndex(info.baseAddress + MmioReg.InterruptStatus);
    const table = info.baseAddress + MmioShadow.offset;
    this.shadow =
      info.sizeBytes >= 0x1000 && Atomics.load(mem.words, mem.wordIndex(table + MmioShadow.magic)) === SHADOW_MAGIC
        ? table
        : undefined;
    this.configShadowed = this.shadow !== undefined;
  }

  /** Whether the VMM mirrored the read-only registers into guest RAM (MmioShadow). */
  get shadowed(): boolean {
    return this.shadow !== undefined;
  }

  /** Reads the identification registers; undefined when the window holds no virtio device. */
  probe(): { deviceId: number; vendorId: number } | undefined {
    if (this.constReg(MmioReg.MagicValue) !== MMIO_MAGIC) return undefined;
    const version = this.constReg(MmioReg.Version);
    if (version !== MMIO_VERSION)
      throw new VirtioInitError(
        `virtio-mmio at 0x${this.info.baseAddress.toString(16)}: version ${version}, only 2 (modern) is supported`,
      );
    const deviceId = this.constReg(MmioReg.DeviceID);
    if (deviceId === 0) return undefined; // §4.2.3.1.1: placeholder window
    return { deviceId, vendorId: this.constReg(MmioReg.VendorID) };
  }

  get features(): bigint {
    return this.negotiated;
  }

  /**
   * §3.1.1 steps 1-6: reset, ACKNOWLEDGE, DRIVER, negotiate features, FEATURES_OK and check it
   * stuck. `wanted` are the features the driver can use; `required` must be offered or
   * initialization fails (with FAILED set on the device). Returns the negotiated set.
   */
  negotiate(wanted: bigint, required: bigint = 0n, prune: (accepted: bigint) => bigint = (a) => a): bigint {
    required |= bit(Feature.VERSION_1);
    wanted |= required;
    // Posted: the FEATURES_OK read-back below flushes the run (one exit with the shadow).
    this.postReg(MmioReg.Status, 0);
    this.forgetQueues();
    this.postReg(MmioReg.Status, DeviceStatus.ACKNOWLEDGE);
    this.postReg(MmioReg.Status, DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER);
    let offered = 0n;
    for (let sel = 0; sel < 2; sel++) offered |= BigInt(this.deviceFeatures(sel)) << BigInt(32 * sel);
    const missing = required & ~offered;
    if (missing !== 0n) {
      this.fail();
      throw new VirtioInitError(`device does not offer required features 0x${missing.toString(16)}`);
    }
    // `prune` drops what the offer makes unusable (a feature whose prerequisite is missing).
    const accepted = prune(offered & wanted) & offered;
    for (let sel = 0; sel < 2; sel++) {
      this.postReg(MmioReg.DriverFeaturesSel, sel);
      this.postReg(MmioReg.DriverFeatures, Number((accepted >> BigInt(32 * sel)) & 0xffffffffn));
    }
    this.postReg(MmioReg.Status, DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER | DeviceStatus.FEATURES_OK);
    const status = this.status();
    if (!(status & DeviceStatus.FEATURES_OK)) {
      this.fail();
      throw new VirtioInitError('device rejected the negotiated features (FEATURES_OK not set)');
    }
    this.confirmedStatus = status;
    this.negotiated = accepted;
    return accepted;
  }

  /**
   * §4.2.3.2: sets up queue `index` with up to `preferredSize` entries in memory from `dma`.
   * Every write is posted: a device that refuses the queue (DEVICE_NEEDS_RESET) is caught by
   * driverOk()'s read-back, before the driver may use the queue (§3.1.1: not before DRIVER_OK).
   */
  setupQueue<T>(
    index: number,
    preferredSize: number,
    dma: DmaAllocator,
    indirect?: IndirectTableAllocator,
  ): GuestVirtqueue<T> {
    this.postReg(MmioReg.QueueSel, index);
    // Step 2, "check that the queue is not already in use", needs no read after a reset this
    // driver did itself: a reset clears every QueueReady (§4.2.2.1).
    const known = this.queuesSinceReset;
    if ((!known || known.has(index)) && this.reg(MmioReg.QueueReady) !== 0)
      throw new VirtioInitError(`queue ${index} already in use`);
    const max = this.queueNumMax(index);
    if (max === 0) throw new VirtioInitError(`queue ${index} is not available`);
    let size = Math.min(max, preferredSize);
    while (!isValidQueueSize(size) && size > 1) size--; // largest power of two ≤ both
    size = 2 ** Math.floor(Math.log2(size));
    const base = dma.alloc(splitRingBytes(size));
    this.queueMemory.push(base);
    const layout = contiguousLayout(base, size);
    const useIndirect = indirect && (this.negotiated & bit(Feature.INDIRECT_DESC)) !== 0n ? indirect : undefined;
    const queue = new GuestVirtqueue<T>(
      this.mem,
      index,
      layout,
      (this.negotiated & bit(Feature.EVENT_IDX)) !== 0n,
      useIndirect,
    );
    this.postReg(MmioReg.QueueNum, size);
    this.postReg(MmioReg.QueueDescLow, layout.descAddress % 2 ** 32);
    this.postReg(MmioReg.QueueDescHigh, Math.floor(layout.descAddress / 2 ** 32));
    this.postReg(MmioReg.QueueDriverLow, layout.availAddress % 2 ** 32);
    this.postReg(MmioReg.QueueDriverHigh, Math.floor(layout.availAddress / 2 ** 32));
    this.postReg(MmioReg.QueueDeviceLow, layout.usedAddress % 2 ** 32);
    this.postReg(MmioReg.QueueDeviceHigh, Math.floor(layout.usedAddress / 2 ** 32));
    this.postReg(MmioReg.QueueReady, 1);
    known?.add(index);
    this.queuesToConfirm.push(`${index} of size ${size}`);
    return queue;
  }

  /** §3.1.1 step 8. */
  driverOk(): void {
    this.configShadowed = false;
    const before = this.confirmedStatus || this.status();
    this.postReg(MmioReg.Status, before | DeviceStatus.DRIVER_OK);
    // One read-back for the queue setups and DRIVER_OK: the run of posted writes ends here.
    const s = this.status();
    const queues = this.queuesToConfirm.splice(0);
    if (s & DeviceStatus.DEVICE_NEEDS_RESET || !(s & DeviceStatus.DRIVER_OK)) {
      const what = queues.length > 0 ? `queue ${queues.join(', queue ')} or DRIVER_OK` : 'DRIVER_OK';
      throw new VirtioInitError(`device refused ${what} (status 0x${s.toString(16)})`);
    }
  }

  /**
   * Posts a notification for queue `index` (fast path: the device reads the bitmap word). A
   * device with a thread of its own waits on that word and is woken there; the others are
   * serviced by the VMM's loop, which the doorbell wakes.
   */
  notify(index: number): void {
    // The notification word is no register access: posted writes (queue setup) must land first.
    this.bus.flush();
    const words = this.mem.words;
    Atomics.or(words, this.notifyWord, 1 << index);
    if (Atomics.load(words, this.notifyWaiterWord) === 0) this.bus.ringDoorbell();
    // The thread sets the sleeping word before Atomics.wait compares the notify word, and the
    // kick's bit is in that word before this reads the flag: either it sees the bit, or this
    // sees the flag (Dekker's pattern, sequentially consistent atomics).
    else if (Atomics.load(words, this.notifySleepingWord) !== 0) Atomics.notify(words, this.notifyWord, 1);
  }

  /** Reads and acknowledges InterruptStatus (§4.2.2); returns the bits that were set. */
  takeInterrupt(): number {
    return Atomics.exchange(this.mem.words, this.interruptWord, 0);
  }

  /** True when the device has flagged DEVICE_NEEDS_RESET. */
  needsReset(): boolean {
    return (this.status() & DeviceStatus.DEVICE_NEEDS_RESET) !== 0;
  }

  status(): number {
    return this.reg(MmioReg.Status);
  }

  fail(): void {
    this.setStatus(this.status() | DeviceStatus.FAILED);
  }

  /** Resets the device and returns the ring memory to the allocator. */
  reset(dma: DmaAllocator): void {
    this.setStatus(0);
    this.forgetQueues();
    this.configShadowed = this.shadow !== undefined;
    for (const a of this.queueMemory.splice(0)) dma.free(a);
  }

  readConfig(offset: number, size: 1 | 2 | 4): number {
    const address = this.info.baseAddress + MmioReg.Config + offset;
    if (this.configShadowed && offset >= 0 && offset + size <= this.shadowWord(MmioShadow.configBytes)) {
      this.counters.shadowReads++;
      const v = this.mem.view;
      return size === 1 ? v.getUint8(address) : size === 2 ? v.getUint16(address, true) : v.getUint32(address, true);
    }
    return this.bus.read(address, size);
  }

  writeConfig(offset: number, size: 1 | 2 | 4, value: number): void {
    this.bus.write(this.info.baseAddress + MmioReg.Config + offset, size, value);
  }

  /** MagicValue, Version, DeviceID, VendorID: constant, so the shadow has them at their own offsets. */
  private constReg(offset: number): number {
    if (this.shadow === undefined) return this.reg(offset);
    this.counters.shadowReads++;
    return this.mem.view.getUint32(this.info.baseAddress + offset, true);
  }

  /** DeviceFeatures of selector page `sel` (§4.2.2: DeviceFeaturesSel, then DeviceFeatures). */
  private deviceFeatures(sel: number): number {
    if (this.shadow === undefined) {
      this.postReg(MmioReg.DeviceFeaturesSel, sel);
      return this.reg(MmioReg.DeviceFeatures);
    }
    this.counters.shadowReads++;
    return this.shadowWord(MmioShadow.deviceFeatures + 4 * sel);
  }

  /** QueueNumMax of queue `index`; QueueSel already selects it for the trapped read. */
  private queueNumMax(index: number): number {
    if (this.shadow === undefined || index >= this.shadowWord(MmioShadow.queueCount))
      return this.reg(MmioReg.QueueNumMax);
    this.counters.shadowReads++;
    return this.shadowWord(MmioShadow.queueNumMax + 4 * index);
  }

  private shadowWord(field: number): number {
    return this.mem.view.getUint32(this.shadow! + field, true);
  }

  private reg(offset: number): number {
    return this.bus.read(this.info.baseAddress + offset, 4) >>> 0;
  }

  private setReg(offset: number, value: number): void {
    this.bus.write(this.info.baseAddress + offset, 4, value);
  }

  private forgetQueues(): void {
    this.queuesSinceReset = new Set();
    this.queuesToConfirm.length = 0;
    this.confirmedStatus = 0;
  }

  /** A posted write (MmioBus.post): only where a read follows that must see it. */
  private postReg(offset: number, value: number): void {
    this.bus.post(this.info.baseAddress + offset, 4, value);
  }

  private setStatus(v: number): void {
    this.setReg(MmioReg.Status, v);
  }
}
