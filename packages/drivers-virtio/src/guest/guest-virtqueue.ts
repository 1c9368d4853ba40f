// The driver's side of a split virtqueue (virtio 1.2 §2.7.13): allocate descriptors, publish
// chains on the available ring, decide whether to notify (once per batch), collect used
// buffers, and suppress the device's interrupts while the driver polls anyway (§2.7.7, §2.7.10).
// Driver bookkeeping (free list, tokens) lives in JS, never read back from guest RAM, so a
// misbehaving device cannot corrupt it.
import type { GuestMemory } from '../guest-memory.js';
import {
  DESC_SIZE,
  VIRTQ_AVAIL_F_NO_INTERRUPT,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_WRITE,
  VIRTQ_USED_F_NO_NOTIFY,
  needEvent,
  ringDistance,
  type SplitRingLayout,
} from '../ring/split-ring-layout.js';

export interface BufferSegment {
  /** Guest-physical address. */
  readonly address: number;
  readonly length: number;
}

export interface UsedBuffer<T> {
  readonly token: T;
  /** Bytes the device wrote into the chain's device-writable part. */
  readonly writtenBytes: number;
}

/**
 * Memory for indirect descriptor tables (§2.7.5.3), when VIRTIO_F_INDIRECT_DESC was negotiated:
 * a chain of several buffers then takes one ring descriptor instead of one per buffer.
 */
export interface IndirectTableAllocator {
  /** 16-byte aligned guest-physical memory for `sizeBytes`, or undefined to fall back to direct. */
  alloc(sizeBytes: number): number | undefined;
  free(address: number): void;
}

export class VirtqueueFullError extends Error {
  override readonly name = 'VirtqueueFullError';
}

export class GuestVirtqueue<T> {
  private readonly next: Uint16Array;
  private freeHead = 0;
  private freeCount: number;
  private readonly tokens: (T | undefined)[];
  private readonly chainLength: Uint16Array;
  /** Our copy of avail->idx (the device only reads it). */
  private availIdx = 0;
  /** avail->idx at the last notification decision. */
  private lastNotifiedAvail = 0;
  /** Next used ring entry to consume. */
  private lastUsedIdx = 0;
  private inFlightChains = 0;
  /** Whether the device is asked to interrupt for each used chain (§2.7.7). */
  private interruptsEnabled = true;
  /** Indirect table of each in-flight head (0 = direct chain). */
  private readonly indirectTable: Float64Array;
  private readonly usedIdxIndex: number;
  private readonly usedEventIndex: number;
  private readonly availEventIndex: number;

  constructor(
    private readonly mem: GuestMemory,
    readonly index: number,
    readonly layout: SplitRingLayout,
    /** VIRTIO_F_EVENT_IDX was negotiated (§2.7.7.2, §2.7.10). */
    readonly eventIdx = false,
    /** Set when VIRTIO_F_INDIRECT_DESC was negotiated. */
    private readonly indirect?: IndirectTableAllocator,
  ) {
    const { size } = layout;
    this.freeCount = size;
    this.next = new Uint16Array(size);
    for (let i = 0; i < size; i++) this.next[i] = (i + 1) % size;
    this.tokens = new Array<T | undefined>(size);
    this.chainLength = new Uint16Array(size);
    this.indirectTable = new Float64Array(size);
    mem.bytes.fill(0, layout.descAddress, layout.descAddress + DESC_SIZE * size);
    mem.bytes.fill(0, layout.availAddress, layout.availAddress + 6 + 2 * size);
    mem.bytes.fill(0, layout.usedAddress, layout.usedAddress + 6 + 8 * size);
    this.usedIdxIndex = (layout.usedAddress + 2) >>> 1;
    this.usedEventIndex = (layout.availAddress + 4 + 2 * size) >>> 1;
    this.availEventIndex = (layout.usedAddress + 4 + 8 * size) >>> 1;
  }

  get size(): number {
    return this.layout.size;
  }

  /** Descriptors not in use by a published or pending chain. */
  get freeDescriptors(): number {
    return this.freeCount;
  }

  /** Chains handed to the device and not yet returned. */
  get inFlight(): number {
    return this.inFlightChains;
  }

  /**
   * Places one chain: `readable` segments (device reads) first, then `writable` ones
   * (§2.7.4.2: device-writable descriptors come after device-readable ones), and puts its head
   * on the available ring. Not visible to the device until publish().
   */
  add(readable: readonly BufferSegment[], writable: readonly BufferSegment[], token: T): number {
    const count = readable.length + writable.length;
    if (count === 0) throw new RangeError('a chain needs at least one buffer');
    // §2.7.5.3.1: an indirect table may not be longer than the queue either.
    if (this.indirect && count > 1 && count <= this.size && this.freeCount > 0) {
      const table = this.indirect.alloc(count * DESC_SIZE);
      if (table !== undefined) return this.addIndirect(readable, writable, token, table);
    }
    if (count > this.freeCount)
      throw new VirtqueueFullError(`queue ${this.index}: ${count} descriptors needed, ${this.freeCount} free`);
    const view = this.mem.view;
    const head = this.freeHead;
    let d = head;
    for (let i = 0; i < count; i++) {
      const seg = i < readable.length ? readable[i]! : writable[i - readable.length]!;
      const at = this.layout.descAddress + d * DESC_SIZE;
      const last = i === count - 1;
      const next = this.next[d]!;
      view.setBigUint64(at, BigInt(seg.address), true);
      view.setUint32(at + 8, seg.length, true);
      view.setUint16(at + 12, (last ? 0 : VIRTQ_DESC_F_NEXT) | (i >= readable.length ? VIRTQ_DESC_F_WRITE : 0), true);
      view.setUint16(at + 14, last ? 0 : next, true);
      if (!last) d = next;
      else this.freeHead = next;
    }
    this.freeCount -= count;
    this.tokens[head] = token;
    this.chainLength[head] = count;
    this.inFlightChains++;
    const slot = this.layout.availAddress + 4 + 2 * (this.availIdx % this.size);
    view.setUint16(slot, head, true);
    this.availIdx = (this.availIdx + 1) & 0xffff;
    return head;
  }

  private addIndirect(
    readable: readonly BufferSegment[],
    writable: readonly BufferSegment[],
    token: T,
    table: number,
  ): number {
    const view = this.mem.view;
    const count = readable.length + writable.length;
    for (let i = 0; i < count; i++) {
      const seg = i < readable.length ? readable[i]! : writable[i - readable.length]!;
      const at = table + i * DESC_SIZE;
      const last = i === count - 1;
      view.setBigUint64(at, BigInt(seg.address), true);
      view.setUint32(at + 8, seg.length, true);
      view.setUint16(at + 12, (last ? 0 : VIRTQ_DESC_F_NEXT) | (i >= readable.length ? VIRTQ_DESC_F_WRITE : 0), true);
      view.setUint16(at + 14, last ? 0 : i + 1, true);
    }
    const head = this.freeHead;
    const at = this.layout.descAddress + head * DESC_SIZE;
    view.setBigUint64(at, BigInt(table), true);
    view.setUint32(at + 8, count * DESC_SIZE, true);
    view.setUint16(at + 12, VIRTQ_DESC_F_INDIRECT, true);
    view.setUint16(at + 14, 0, true);
    this.freeHead = this.next[head]!;
    this.freeCount--;
    this.tokens[head] = token;
    this.chainLength[head] = 1;
    this.indirectTable[head] = table;
    this.inFlightChains++;
    const slot = this.layout.availAddress + 4 + 2 * (this.availIdx % this.size);
    view.setUint16(slot, head, true);
    this.availIdx = (this.availIdx + 1) & 0xffff;
    return head;
  }

  /**
   * Makes added chains visible (§2.7.13.3: ring entries before the index, with a barrier — an
   * Atomics store here) and tells whether the device wants a notification (§2.7.13.4).
   */
  publish(): boolean {
    this.exposeAvailable();
    return this.notificationWanted();
  }

  /** The first half of publish(): store avail->idx (the race tests interleave the halves). */
  exposeAvailable(): void {
    Atomics.store(this.mem.halfwords, (this.layout.availAddress + 2) >>> 1, this.availIdx);
  }

  /**
   * The second half of publish(): whether the device asked to be notified for the chains
   * exposed since the last decision. Loaded after the idx store, both sequentially consistent:
   * the barrier §2.7.13.4 requires against the device's avail_event store-then-idx load.
   */
  notificationWanted(): boolean {
    const old = this.lastNotifiedAvail;
    this.lastNotifiedAvail = this.availIdx;
    if (old === this.availIdx) return false;
    if (this.eventIdx) return needEvent(Atomics.load(this.mem.halfwords, this.availEventIndex), this.availIdx, old);
    const usedFlags = Atomics.load(this.mem.halfwords, this.layout.usedAddress >>> 1);
    return (usedFlags & VIRTQ_USED_F_NO_NOTIFY) === 0;
  }

  /** Chains added but not yet published. */
  get unpublished(): number {
    return ringDistance(this.availIdx, this.lastNotifiedAvail);
  }

  /** True when the device has returned chains we have not consumed. */
  hasUsed(): boolean {
    return Atomics.load(this.mem.halfwords, this.usedIdxIndex) !== this.lastUsedIdx;
  }

  /** Takes the next used chain, freeing its descriptors, or undefined when none is ready. */
  takeUsed(): UsedBuffer<T> | undefined {
    const usedIdx = Atomics.load(this.mem.halfwords, this.usedIdxIndex);
    if (usedIdx === this.lastUsedIdx) return undefined;
    if (ringDistance(usedIdx, this.lastUsedIdx) > this.size) {
      throw new Error(
        `queue ${this.index}: device published ${ringDistance(usedIdx, this.lastUsedIdx)} used entries on a ring of ${this.size}`,
      );
    }
    const elem = this.layout.usedAddress + 4 + 8 * (this.lastUsedIdx % this.size);
    const head = this.mem.view.getUint32(elem, true);
    const writtenBytes = this.mem.view.getUint32(elem + 4, true);
    this.lastUsedIdx = (this.lastUsedIdx + 1) & 0xffff;
    if (head >= this.size || this.tokens[head] === undefined) {
      throw new Error(`queue ${this.index}: device returned descriptor ${head} that is not in flight`);
    }
    const token = this.tokens[head]!;
    this.tokens[head] = undefined;
    this.inFlightChains--;
    this.release(head, this.chainLength[head]!);
    const table = this.indirectTable[head]!;
    if (table !== 0) {
      this.indirectTable[head] = 0;
      this.indirect!.free(table);
    }
    // §2.7.10: with interrupts on, ask for one when the device passes the entry after this one;
    // with them off, used_event stays behind and the device's check finds nothing to signal.
    if (this.eventIdx && this.interruptsEnabled)
      Atomics.store(this.mem.halfwords, this.usedEventIndex, this.lastUsedIdx);
    return { token, writtenBytes };
  }

  /**
   * §2.7.7: ask the device not to interrupt while we poll the used ring anyway (Linux's
   * virtqueue_disable_cb). Without EVENT_IDX this sets VIRTQ_AVAIL_F_NO_INTERRUPT; with it,
   * used_event stops advancing (§2.7.7.1: the flags stay 0).
   */
  disableInterrupts(): void {
    this.interruptsEnabled = false;
    if (!this.eventIdx) Atomics.store(this.mem.halfwords, this.layout.availAddress >>> 1, VIRTQ_AVAIL_F_NO_INTERRUPT);
  }

  /**
   * Asks for interrupts again before the driver sleeps, and says whether it may: false when
   * used chains arrived meanwhile (take them first). used_event (or the flags) is stored before
   * used->idx is loaded, against the device's idx-store-then-used_event-load (§2.7.10).
   */
  enableInterrupts(): boolean {
    this.armInterrupts();
    return !this.hasUsed();
  }

  /** The first half of enableInterrupts() alone (the race tests interleave the halves). */
  armInterrupts(): void {
    this.interruptsEnabled = true;
    if (this.eventIdx) Atomics.store(this.mem.halfwords, this.usedEventIndex, this.lastUsedIdx);
    else Atomics.store(this.mem.halfwords, this.layout.availAddress >>> 1, 0);
  }

  /**
   * Interrupts on again, but with EVENT_IDX only once about three quarters of the chains in
   * flight have been used (Linux's virtqueue_enable_cb_delayed): for transmit queues, whose
   * completions only free buffers. Returns false when that many are used already.
   */
  enableInterruptsDelayed(): boolean {
    if (!this.eventIdx) return this.enableInterrupts();
    this.interruptsEnabled = true;
    const ahead = Math.floor((this.inFlightChains * 3) / 4);
    const event = (this.lastUsedIdx + ahead) & 0xffff;
    Atomics.store(this.mem.halfwords, this.usedEventIndex, event);
    // used_event names the entry whose use triggers the interrupt: (event - lastUsed) entries
    // may pass without one; if the device is already beyond it, poll instead.
    return ringDistance(Atomics.load(this.mem.halfwords, this.usedIdxIndex), this.lastUsedIdx) <= ahead;
  }

  /** Whether the device is currently asked to interrupt. */
  get interrupting(): boolean {
    return this.interruptsEnabled;
  }

  private release(head: number, count: number): void {
    // Walk our own copy of the chain: descriptors were taken from the free list in order.
    let last = head;
    for (let i = 1; i < count; i++) last = this.next[last]!;
    this.next[last] = this.freeHead;
    this.freeHead = head;
    this.freeCount += count;
  }
}
