// The VMM's virtio-mmio transport for one device (virtio 1.2 §4.2): the register file the guest
// reaches through MMIO traps, feature negotiation, queue configuration and the status state
// machine of §2.1/§3.1. Two registers take a fast path through shared words in the device's
// RAM window instead of a trap (our ioeventfd/irqfd): QueueNotify (the guest sets bit q of the
// word at 0x050) and InterruptStatus (the device sets bits of the word at 0x060; the guest
// clears them with Atomics.and instead of writing InterruptACK). The read-only registers are
// also mirrored into the window (MmioShadow in mmio/registers.ts) for the driver's probe; the
// trapped reads below stay the reference they must equal.
import type { GuestMemory } from '../guest-memory.js';
import { isValidQueueSize } from '../ring/split-ring-layout.js';
import { DeviceVirtqueue, VirtqueueError, type RingPosition } from './device-virtqueue.js';
import type { SplitRingLayout } from '../ring/split-ring-layout.js';
import type { DeviceModel, DeviceModelHost } from './device-model.js';
import {
  DeviceStatus,
  Feature,
  INT_CONFIG,
  INT_VRING,
  MMIO_MAGIC,
  MMIO_VERSION,
  MmioReg,
  MmioShadow,
  OSV_TS_VENDOR_ID,
  SHADOW_MAGIC,
  SHADOW_MAX_CONFIG_BYTES,
  SHADOW_MAX_QUEUES,
  bit,
} from '../mmio/registers.js';

interface QueueConfig {
  num: number;
  ready: boolean;
  desc: number;
  driver: number;
  device: number;
}

export interface InterruptLine {
  /** Asserts the device's interrupt line towards the guest. */
  raise(): void;
}

/** One queue as the driver configured it, and where the device stands in it. */
export interface QueueSetup {
  readonly index: number;
  readonly layout: SplitRingLayout;
  readonly position: RingPosition;
}

/**
 * A device's data plane on another thread (vhost's model: the VMM keeps the register file,
 * feature negotiation and queue configuration; a worker of its own serves the rings). The
 * transport hands the queues over at DRIVER_OK — or later, from a device model that served
 * them here meanwhile and has nothing in flight — and takes them back at reset.
 */
export interface RemoteDataPlane {
  /** Whether the data plane can take queues now (its thread has started). */
  readonly ready: boolean;
  /** The driver is about to need it: get ready (start the thread) if not yet. */
  prepare(): void;
  /** Serve `queues` with `features` from now on (waits until ready when it must). */
  activate(features: bigint, queues: readonly QueueSetup[]): void;
  /** Stop serving; when this returns nothing touches the rings any more (device reset). */
  deactivate(): void;
  /** Why the data plane found the guest's rings broken, once it has (then it stopped). */
  failure(): string | undefined;
}

export class MmioTransportModel implements DeviceModelHost {
  private status = 0;
  private deviceFeaturesSel = 0;
  private driverFeaturesSel = 0;
  private driverFeatures = 0n;
  private queueSel = 0;
  private configGeneration = 0;
  private readonly queueConfig: QueueConfig[];
  private queues: (DeviceVirtqueue | undefined)[] = [];
  private readonly notifyWord: number;
  private readonly notifyWaiterWord: number;
  private readonly interruptWord: number;
  /** Why the device last set DEVICE_NEEDS_RESET. */
  lastFailure: string | undefined;
  /** Where the queues are served when not here (set by the VMM before the guest runs). */
  remote: RemoteDataPlane | undefined;
  /** The queues are with `remote` now. */
  private servedRemotely = false;
  /** Queue kicks held back while the hand-over waits for the model's requests (notify()). */
  private heldNotifications = 0;
  /** Served here until `remote` is ready, then handed over (see migrate()). */
  private migrationPending = false;
  readonly counters = { traps: 0, notifications: 0, interrupts: 0 };

  constructor(
    readonly memory: GuestMemory,
    readonly baseAddress: number,
    readonly irq: number,
    readonly device: DeviceModel,
    private readonly line: InterruptLine,
  ) {
    this.queueConfig = Array.from({ length: device.numQueues }, () => newQueueConfig());
    this.notifyWord = memory.wordIndex(baseAddress + MmioReg.QueueNotify);
    this.notifyWaiterWord = memory.wordIndex(baseAddress + MmioReg.OsvNotifyWaiter);
    this.interruptWord = memory.wordIndex(baseAddress + MmioReg.InterruptStatus);
    Atomics.store(memory.words, this.notifyWord, 0);
    Atomics.store(memory.words, this.interruptWord, 0);
    this.writeShadow();
  }

  /**
   * Mirrors the read-only registers into the window (MmioShadow): at construction, before the
   * vCPU runs, and again whenever what they show may have changed (config space: a write, a
   * configuration change; everything: a reset). The magic goes last, so a reader that sees it
   * sees the rest.
   */
  private writeShadow(): void {
    const v = this.memory.view;
    const base = this.baseAddress;
    const table = base + MmioShadow.offset;
    const words = this.memory.words;
    Atomics.store(words, this.memory.wordIndex(table + MmioShadow.magic), 0);
    v.setUint32(base + MmioReg.MagicValue, MMIO_MAGIC, true);
    v.setUint32(base + MmioReg.Version, MMIO_VERSION, true);
    v.setUint32(base + MmioReg.DeviceID, this.device.deviceId, true);
    v.setUint32(base + MmioReg.VendorID, OSV_TS_VENDOR_ID, true);
    const features = this.device.deviceFeatures;
    v.setUint32(table + MmioShadow.deviceFeatures, Number(features & 0xffffffffn), true);
    v.setUint32(table + MmioShadow.deviceFeatures + 4, Number((features >> 32n) & 0xffffffffn), true);
    const queues = Math.min(this.device.numQueues, SHADOW_MAX_QUEUES);
    v.setUint32(table + MmioShadow.queueCount, queues, true);
    for (let q = 0; q < queues; q++)
      v.setUint32(table + MmioShadow.queueNumMax + 4 * q, this.device.maxQueueSize, true);
    this.writeConfigShadow();
    Atomics.store(words, this.memory.wordIndex(table + MmioShadow.magic), SHADOW_MAGIC);
  }

  /** The config-space part of the shadow, byte by byte as the guest would read it (§4.2.2: little-endian). */
  private writeConfigShadow(): void {
    const bytes = Math.min(this.device.configBytes ?? 0, SHADOW_MAX_CONFIG_BYTES);
    const at = this.baseAddress + MmioReg.Config;
    const mem = this.memory.bytes;
    for (let i = 0; i < bytes; i++) mem[at + i] = this.device.readConfig(i, 1) & 0xff;
    this.memory.view.setUint32(this.baseAddress + MmioShadow.offset + MmioShadow.configBytes, bytes, true);
  }

  /** Handles a trapped read of the register at `offset` from the window base. */
  read(offset: number, size: number): number {
    this.counters.traps++;
    if (offset >= MmioReg.Config) return this.device.readConfig(offset - MmioReg.Config, size) >>> 0;
    if (size !== 4 || offset % 4 !== 0) return 0; // §4.2.2.2: registers are 32-bit, aligned
    const q = this.queueConfig[this.queueSel];
    switch (offset) {
      case MmioReg.MagicValue:
        return MMIO_MAGIC;
      case MmioReg.Version:
        return MMIO_VERSION;
      case MmioReg.DeviceID:
        return this.device.deviceId;
      case MmioReg.VendorID:
        return OSV_TS_VENDOR_ID;
      case MmioReg.DeviceFeatures: {
        const all = this.device.deviceFeatures;
        return this.deviceFeaturesSel > 1 ? 0 : Number((all >> BigInt(32 * this.deviceFeaturesSel)) & 0xffffffffn);
      }
      case MmioReg.QueueNumMax:
        return q ? this.device.maxQueueSize : 0;
      case MmioReg.QueueReady:
        return q?.ready ? 1 : 0;
      case MmioReg.InterruptStatus:
        return Atomics.load(this.memory.words, this.interruptWord);
      case MmioReg.Status:
        this.checkRemoteFailure();
        return this.status;
      case MmioReg.ConfigGeneration:
        return this.configGeneration;
      case MmioReg.ShmLenLow:
      case MmioReg.ShmLenHigh:
        return 0xffffffff; // §4.2.2: no shared memory region selected
      default:
        return 0;
    }
  }

  /** Handles a trapped write. */
  write(offset: number, size: number, value: number): void {
    this.counters.traps++;
    if (offset >= MmioReg.Config) {
      this.device.writeConfig?.(offset - MmioReg.Config, size, value);
      this.writeConfigShadow();
      return;
    }
    if (size !== 4 || offset % 4 !== 0) return;
    const v = value >>> 0;
    const q = this.queueConfig[this.queueSel];
    switch (offset) {
      case MmioReg.DeviceFeaturesSel:
        this.deviceFeaturesSel = v;
        return;
      case MmioReg.DriverFeaturesSel:
        this.driverFeaturesSel = v;
        return;
      case MmioReg.DriverFeatures:
        if (this.status & DeviceStatus.FEATURES_OK) return; // §2.2.2: frozen once FEATURES_OK
        if (this.driverFeaturesSel <= 1) {
          const shift = BigInt(32 * this.driverFeaturesSel);
          this.driverFeatures = (this.driverFeatures & ~(0xffffffffn << shift)) | (BigInt(v) << shift);
        }
        return;
      case MmioReg.QueueSel:
        this.queueSel = v;
        return;
      case MmioReg.QueueNum:
        if (q && !q.ready) q.num = v;
        return;
      case MmioReg.QueueDescLow:
        if (q && !q.ready) q.desc = setLow(q.desc, v);
        return;
      case MmioReg.QueueDescHigh:
        if (q && !q.ready) q.desc = setHigh(q.desc, v);
        return;
      case MmioReg.QueueDriverLow:
        if (q && !q.ready) q.driver = setLow(q.driver, v);
        return;
      case MmioReg.QueueDriverHigh:
        if (q && !q.ready) q.driver = setHigh(q.driver, v);
        return;
      case MmioReg.QueueDeviceLow:
        if (q && !q.ready) q.device = setLow(q.device, v);
        return;
      case MmioReg.QueueDeviceHigh:
        if (q && !q.ready) q.device = setHigh(q.device, v);
        return;
      case MmioReg.QueueReady:
        if (q) this.setQueueReady(this.queueSel, v === 1);
        return;
      case MmioReg.QueueNotify:
        this.notify(1 << v);
        return;
      case MmioReg.InterruptACK:
        Atomics.and(this.memory.words, this.interruptWord, ~v);
        return;
      case MmioReg.Status:
        this.writeStatus(v);
        return;
      default:
        return;
    }
  }

  /** The guest notified the queues in `bitmap` (read from the fast-path word or a trap). */
  notify(bitmap: number): void {
    if (!this.live || this.servedRemotely) return;
    if (this.migrationWaitsForIdle) {
      // The model starts nothing new, so it goes idle and the queues move (migrate()), kicks
      // and all; a driver that always keeps a request outstanding would otherwise keep them here.
      this.heldNotifications |= bitmap;
      this.migrate();
      return;
    }
    for (let i = 0; i < this.queues.length; i++) {
      if (bitmap & (1 << i) && this.queues[i]) {
        this.counters.notifications++;
        try {
          this.device.notify(i);
        } catch (e) {
          this.failOnGuestError(e);
        }
      }
    }
  }

  /** Tells the guest that a device thread waits on the QueueNotify word (MmioReg.OsvNotifyWaiter). */
  setNotifyWaiter(waiting: boolean): void {
    Atomics.store(this.memory.words, this.notifyWaiterWord, waiting ? 1 : 0);
  }

  private get live(): boolean {
    return (this.status & DeviceStatus.DRIVER_OK) !== 0 && (this.status & DeviceStatus.DEVICE_NEEDS_RESET) === 0;
  }

  /** A bad ring or buffer from the guest breaks the device (§2.1.2), never the host. */
  private failOnGuestError(e: unknown): void {
    if (e instanceof VirtqueueError || (e as Error).name === 'GuestMemoryError') this.fail((e as Error).message);
    else throw e;
  }

  /**
   * Takes the notifications posted through the fast-path word since the last call (none while
   * a device thread serves the queues: the word is the thread's).
   */
  takePostedNotifications(): number {
    if (this.servedRemotely) return 0;
    return Atomics.exchange(this.memory.words, this.notifyWord, 0);
  }

  /** Whether the queues are being served by the remote data plane. */
  get remotelyServed(): boolean {
    return this.servedRemotely;
  }

  /** Whether the queues are served here only until the remote data plane can take them. */
  get awaitingMigration(): boolean {
    return this.migrationPending;
  }

  /**
   * Whether the remote data plane is ready and the hand-over waits only for the model's requests
   * in flight to finish: the VMM then holds back the guest's kicks, or a driver that always keeps
   * a request outstanding (read-ahead) would keep the disk here for good.
   */
  get migrationWaitsForIdle(): boolean {
    return this.migrationPending && this.live && (this.remote?.ready ?? false);
  }

  /**
   * Hands queues served here to the remote data plane once it is ready and the device model
   * has nothing in flight (DeviceModel.idle): the model lets go, the positions in each ring go
   * along. Returns whether the hand-over happened.
   */
  migrate(): boolean {
    const remote = this.remote;
    if (!this.migrationPending || !remote?.ready || !this.live) return false;
    if (!(this.device.idle?.() ?? false)) return false;
    const setups = this.queueSetups(this.queues);
    this.device.reset();
    this.migrationPending = false;
    // Kicks held while the model finished its requests: the thread takes them from the word.
    if (this.heldNotifications !== 0) Atomics.or(this.memory.words, this.notifyWord, this.heldNotifications);
    this.heldNotifications = 0;
    this.handOver(remote, setups);
    return true;
  }

  signalUsed(queue: DeviceVirtqueue): void {
    if (queue.needsInterrupt()) this.raise(INT_VRING);
  }

  signalConfigChange(): void {
    this.writeConfigShadow();
    this.configGeneration++;
    this.raise(INT_CONFIG);
  }

  fail(reason: string): void {
    this.lastFailure = reason;
    this.status |= DeviceStatus.DEVICE_NEEDS_RESET;
    this.signalConfigChange();
  }

  get deviceStatus(): number {
    return this.status;
  }

  get negotiatedFeatures(): bigint {
    return this.driverFeatures;
  }

  private raise(bits: number): void {
    this.counters.interrupts++;
    Atomics.or(this.memory.words, this.interruptWord, bits);
    this.line.raise();
  }

  private setQueueReady(index: number, ready: boolean): void {
    const q = this.queueConfig[index]!;
    if (!ready) {
      q.ready = false;
      return;
    }
    if (!isValidQueueSize(q.num) || q.num > this.device.maxQueueSize) {
      this.fail(`queue ${index}: invalid size ${q.num} (max ${this.device.maxQueueSize}, power of two)`);
      return;
    }
    q.ready = true;
  }

  private writeStatus(v: number): void {
    if (v === 0) {
      this.reset();
      return;
    }
    const adding = v & ~this.status;
    if (adding & DeviceStatus.FEATURES_OK) {
      // §3.1.1 step 5-6 / §2.2.2: accept only features we offered; VERSION_1 is mandatory
      // for this (modern-only) transport, §4.2.4.
      const offered = this.device.deviceFeatures;
      if ((this.driverFeatures & ~offered) !== 0n || (this.driverFeatures & bit(Feature.VERSION_1)) === 0n) {
        v &= ~DeviceStatus.FEATURES_OK;
      }
    }
    if (adding & DeviceStatus.DRIVER_OK && !(this.status & DeviceStatus.DEVICE_NEEDS_RESET)) {
      if (!(v & DeviceStatus.FEATURES_OK)) {
        this.status = v & ~DeviceStatus.DRIVER_OK;
        this.fail('DRIVER_OK set before FEATURES_OK');
        return;
      }
      this.status = v;
      this.activate();
      return;
    }
    this.status = v | (this.status & DeviceStatus.DEVICE_NEEDS_RESET);
  }

  private activate(): void {
    const features = this.driverFeatures;
    const eventIdx = (features & bit(Feature.EVENT_IDX)) !== 0n;
    const indirect = (features & bit(Feature.INDIRECT_DESC)) !== 0n;
    try {
      // Built here even for a remote data plane: it validates the rings against guest RAM.
      this.queues = this.queueConfig.map((q, i) =>
        q.ready
          ? new DeviceVirtqueue(
              this.memory,
              i,
              { size: q.num, descAddress: q.desc, availAddress: q.driver, usedAddress: q.device },
              { eventIdx, indirect },
            )
          : undefined,
      );
      const remote = this.remote;
      remote?.prepare();
      if (remote && (remote.ready || !this.device.idle)) {
        this.handOver(remote, this.queueSetups(this.queues));
        return;
      }
      // A remote data plane still starting: serve the queues here meanwhile (migrate()).
      this.migrationPending = remote !== undefined;
      this.device.activate(this, features, this.queues);
    } catch (e) {
      this.queues = [];
      this.fail((e as Error).message);
    }
  }

  private queueSetups(queues: readonly (DeviceVirtqueue | undefined)[]): QueueSetup[] {
    const out: QueueSetup[] = [];
    queues.forEach((q, index) => q && out.push({ index, layout: q.layout, position: q.position() }));
    return out;
  }

  private handOver(remote: RemoteDataPlane, setups: readonly QueueSetup[]): void {
    remote.activate(this.driverFeatures, setups);
    this.servedRemotely = true;
    // From now on the guest wakes the device thread on the QueueNotify word. A kick posted
    // just before it saw the flag rang our doorbell instead: its bit is still in the word,
    // which the notify below makes the thread look at.
    this.setNotifyWaiter(true);
    Atomics.notify(this.memory.words, this.notifyWord);
  }

  /** A guest error met by the remote data plane becomes DEVICE_NEEDS_RESET here (§2.1.2). */
  private checkRemoteFailure(): void {
    if (!this.servedRemotely || this.status & DeviceStatus.DEVICE_NEEDS_RESET) return;
    const reason = this.remote?.failure();
    if (reason !== undefined) this.fail(reason);
  }

  private reset(): void {
    if (this.servedRemotely) {
      this.remote!.deactivate();
      this.servedRemotely = false;
      this.setNotifyWaiter(false);
    }
    this.migrationPending = false;
    this.status = 0;
    this.driverFeatures = 0n;
    this.deviceFeaturesSel = 0;
    this.driverFeaturesSel = 0;
    this.queueSel = 0;
    this.queues = [];
    for (let i = 0; i < this.queueConfig.length; i++) this.queueConfig[i] = newQueueConfig();
    Atomics.store(this.memory.words, this.interruptWord, 0);
    Atomics.store(this.memory.words, this.notifyWord, 0);
    this.device.reset();
    this.writeShadow();
  }
}

function newQueueConfig(): QueueConfig {
  return { num: 0, ready: false, desc: 0, driver: 0, device: 0 };
}

function setLow(old: number, low: number): number {
  return Math.floor(old / 2 ** 32) * 2 ** 32 + low;
}

function setHigh(old: number, high: number): number {
  return high * 2 ** 32 + (old % 2 ** 32);
}
