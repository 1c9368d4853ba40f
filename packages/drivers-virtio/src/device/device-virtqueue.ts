// The device's side of a split virtqueue (virtio 1.2 §2.7): take chains from the available
// ring, validate every descriptor the guest hands over, return them on the used ring, decide
// whether the driver wants an interrupt (once per batch), and suppress the driver's
// notifications while the device is draining the ring anyway (§2.7.7, §2.7.10). Nothing read from guest RAM is trusted:
// out-of-RAM addresses, chains longer than the queue (loops), readable-after-writable order,
// and malformed indirect tables are VirtqueueError, which the transport turns into
// DEVICE_NEEDS_RESET (§2.1.2) instead of a host crash.
import type { GuestMemory } from '../guest-memory.js';
import {
  DESC_SIZE,
  VIRTQ_AVAIL_F_NO_INTERRUPT,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_WRITE,
  VIRTQ_USED_F_NO_NOTIFY,
  availRingBytes,
  descTableBytes,
  needEvent,
  ringDistance,
  usedRingBytes,
  type SplitRingLayout,
} from '../ring/split-ring-layout.js';

export class VirtqueueError extends Error {
  override readonly name = 'VirtqueueError';
}

export interface Segment {
  readonly address: number;
  readonly length: number;
}

export interface DescriptorChain {
  readonly head: number;
  /** Device-readable buffers, in order. */
  readonly readable: Segment[];
  /** Device-writable buffers, in order. */
  readonly writable: Segment[];
  readonly readableBytes: number;
  readonly writableBytes: number;
}

export interface DeviceQueueFeatures {
  readonly eventIdx: boolean;
  readonly indirect: boolean;
}

/**
 * Where the device stands in a queue — all of its state that is not in guest RAM — so that
 * another thread can carry on with the queue (a data plane moving to a device thread).
 */
export interface RingPosition {
  readonly lastAvailIdx: number;
  readonly usedIdx: number;
  readonly lastSignalledUsed: number;
  readonly notificationsEnabled: boolean;
}

export class DeviceVirtqueue {
  private lastAvailIdx = 0;
  private usedIdx = 0;
  /** used->idx when the driver was last interrupted. */
  private lastSignalledUsed = 0;
  /** Whether the driver is asked to notify for each new chain (§2.7.7). */
  private notificationsEnabled = true;
  /** Counters for `osv run -V`. */
  readonly stats = { chains: 0, notificationsSuppressed: 0, interrupts: 0 };
  private readonly availIdxIndex: number;
  private readonly availEventIndex: number;
  private readonly usedEventIndex: number;
  private readonly usedIdxIndex: number;

  constructor(
    private readonly mem: GuestMemory,
    readonly index: number,
    readonly layout: SplitRingLayout,
    readonly features: DeviceQueueFeatures,
    /** Carry on from here (a queue handed over by another thread); a new queue starts at 0. */
    position?: RingPosition,
  ) {
    const { size } = layout;
    mem.check(layout.descAddress, descTableBytes(size), `queue ${index} descriptor table`);
    mem.check(layout.availAddress, availRingBytes(size) + (features.eventIdx ? 2 : 0), `queue ${index} available ring`);
    mem.check(layout.usedAddress, usedRingBytes(size) + (features.eventIdx ? 2 : 0), `queue ${index} used ring`);
    if (layout.descAddress % 16 || layout.availAddress % 2 || layout.usedAddress % 4) {
      throw new VirtqueueError(`queue ${index}: misaligned ring (§2.7: desc 16, avail 2, used 4)`);
    }
    this.availIdxIndex = (layout.availAddress + 2) >>> 1;
    this.usedIdxIndex = (layout.usedAddress + 2) >>> 1;
    this.availEventIndex = (layout.usedAddress + 4 + 8 * size) >>> 1;
    this.usedEventIndex = (layout.availAddress + 4 + 2 * size) >>> 1;
    if (position) {
      this.lastAvailIdx = position.lastAvailIdx & 0xffff;
      this.usedIdx = position.usedIdx & 0xffff;
      this.lastSignalledUsed = position.lastSignalledUsed & 0xffff;
      this.notificationsEnabled = position.notificationsEnabled;
    }
  }

  /** This queue's device-side state, to hand the queue to another thread. */
  position(): RingPosition {
    return {
      lastAvailIdx: this.lastAvailIdx,
      usedIdx: this.usedIdx,
      lastSignalledUsed: this.lastSignalledUsed,
      notificationsEnabled: this.notificationsEnabled,
    };
  }

  get size(): number {
    return this.layout.size;
  }

  /** Chains the driver has made available and we have not taken. */
  pending(): number {
    const availIdx = Atomics.load(this.mem.halfwords, this.availIdxIndex);
    const n = ringDistance(availIdx, this.lastAvailIdx);
    if (n > this.size)
      throw new VirtqueueError(`queue ${this.index}: driver made ${n} entries available on a ring of ${this.size}`);
    return n;
  }

  /** Takes and validates the next available chain, or undefined when there is none. */
  pop(): DescriptorChain | undefined {
    if (this.pending() === 0) return undefined;
    const slot = this.layout.availAddress + 4 + 2 * (this.lastAvailIdx % this.size);
    const head = this.mem.view.getUint16(slot, true);
    this.lastAvailIdx = (this.lastAvailIdx + 1) & 0xffff;
    // §2.7.10: with notifications on, ask for one when the driver publishes past this entry;
    // with them off, avail_event stays behind and the driver's check finds nothing to notify.
    if (this.features.eventIdx && this.notificationsEnabled)
      Atomics.store(this.mem.halfwords, this.availEventIndex, this.lastAvailIdx);
    this.stats.chains++;
    return this.walk(head);
  }

  /** Returns a chain to the driver with the number of bytes written into it (§2.7.8). */
  pushUsed(head: number, writtenBytes: number): void {
    const elem = this.layout.usedAddress + 4 + 8 * (this.usedIdx % this.size);
    this.mem.view.setUint32(elem, head, true);
    this.mem.view.setUint32(elem + 4, writtenBytes, true);
    this.usedIdx = (this.usedIdx + 1) & 0xffff;
    Atomics.store(this.mem.halfwords, this.usedIdxIndex, this.usedIdx);
  }

  /** §2.7.7: whether the driver wants an interrupt for the used entries published since the last one. */
  needsInterrupt(): boolean {
    const old = this.lastSignalledUsed;
    if (old === this.usedIdx) return false;
    this.lastSignalledUsed = this.usedIdx;
    let want: boolean;
    if (this.features.eventIdx) {
      const usedEvent = Atomics.load(this.mem.halfwords, this.usedEventIndex);
      want = needEvent(usedEvent, this.usedIdx, old);
    } else {
      want = (Atomics.load(this.mem.halfwords, this.layout.availAddress >>> 1) & VIRTQ_AVAIL_F_NO_INTERRUPT) === 0;
    }
    if (want) this.stats.interrupts++;
    else this.stats.notificationsSuppressed++;
    return want;
  }

  /**
   * §2.7.7: ask the driver not to notify while we drain the ring anyway (vhost's
   * vhost_disable_notify). Without EVENT_IDX this sets VIRTQ_USED_F_NO_NOTIFY; with it,
   * avail_event simply stops advancing.
   */
  disableNotifications(): void {
    this.notificationsEnabled = false;
    if (!this.features.eventIdx)
      Atomics.store(this.mem.halfwords, this.layout.usedAddress >>> 1, VIRTQ_USED_F_NO_NOTIFY);
  }

  /**
   * Asks for notifications again before the device sleeps, and says whether it may: false when
   * chains arrived meanwhile (the caller must drain them first). The store of avail_event (or
   * the flags) comes before the load of avail->idx, both sequentially consistent Atomics: the
   * barrier §2.7.10 requires, so a chain the driver published after our last look is either
   * seen here or notified by the driver (which stores idx before it loads avail_event).
   */
  enableNotifications(): boolean {
    this.armNotifications();
    return this.pending() === 0;
  }

  /** The first half of enableNotifications() alone (the race tests interleave the halves). */
  armNotifications(): void {
    this.notificationsEnabled = true;
    if (this.features.eventIdx) Atomics.store(this.mem.halfwords, this.availEventIndex, this.lastAvailIdx);
    else Atomics.store(this.mem.halfwords, this.layout.usedAddress >>> 1, 0);
  }

  /** Whether the driver is currently asked to notify. */
  get notifying(): boolean {
    return this.notificationsEnabled;
  }

  private walk(head: number): DescriptorChain {
    const size = this.size;
    if (head >= size) throw new VirtqueueError(`queue ${this.index}: head descriptor ${head} >= queue size ${size}`);
    const chain = { head, readable: [] as Segment[], writable: [] as Segment[], readableBytes: 0, writableBytes: 0 };
    let table = this.layout.descAddress;
    let tableSize = size;
    let index = head;
    let seen = 0;
    let indirect = false;
    for (;;) {
      if (index >= tableSize)
        throw new VirtqueueError(`queue ${this.index}: descriptor index ${index} out of table of ${tableSize}`);
      if (++seen > tableSize)
        throw new VirtqueueError(`queue ${this.index}: descriptor chain loops (longer than ${tableSize})`);
      const at = table + index * DESC_SIZE;
      const view = this.mem.view;
      const address = Number(view.getBigUint64(at, true));
      const length = view.getUint32(at + 8, true);
      const flags = view.getUint16(at + 12, true);
      const next = view.getUint16(at + 14, true);
      if (flags & VIRTQ_DESC_F_INDIRECT) {
        // §2.7.5.3.1: only in the main table, not combined with NEXT, length a multiple of 16.
        if (!this.features.indirect)
          throw new VirtqueueError(`queue ${this.index}: INDIRECT descriptor without VIRTIO_F_INDIRECT_DESC`);
        if (indirect) throw new VirtqueueError(`queue ${this.index}: nested indirect table`);
        if (flags & VIRTQ_DESC_F_NEXT) throw new VirtqueueError(`queue ${this.index}: INDIRECT combined with NEXT`);
        if (length === 0 || length % DESC_SIZE !== 0)
          throw new VirtqueueError(`queue ${this.index}: indirect table length ${length} not a multiple of 16`);
        if (!this.mem.contains(address, length) || address % 16 !== 0) {
          throw new VirtqueueError(
            `queue ${this.index}: indirect table at 0x${address.toString(16)}+${length} outside RAM or misaligned`,
          );
        }
        indirect = true;
        table = address;
        tableSize = length / DESC_SIZE;
        index = 0;
        seen = 0;
        continue;
      }
      if (!this.mem.contains(address, length)) {
        throw new VirtqueueError(
          `queue ${this.index}: buffer 0x${address.toString(16)}+${length} is outside guest RAM`,
        );
      }
      if (flags & VIRTQ_DESC_F_WRITE) {
        chain.writable.push({ address, length });
        chain.writableBytes += length;
      } else {
        // §2.7.4.2: a device-readable descriptor after a device-writable one is an error.
        if (chain.writable.length > 0)
          throw new VirtqueueError(`queue ${this.index}: readable descriptor after a writable one`);
        chain.readable.push({ address, length });
        chain.readableBytes += length;
      }
      if (!(flags & VIRTQ_DESC_F_NEXT)) return chain;
      index = next;
    }
  }
}
