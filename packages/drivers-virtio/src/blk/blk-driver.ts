// virtio-blk driver (virtio 1.2 §5.2.5/§5.2.6) as kernel-api's BlockDevice. Calls are
// synchronous for the caller, who blocks in the scheduler until the device returns the
// requests. Request headers, data and status live in DMA memory from the page allocator (a
// bounce buffer: the caller's array may not be in guest RAM). A small transfer goes through one
// of `slots` request slots, each with a buffer of `slotBytes`; a large one gets a DMA window of
// its own for the duration and goes out as requests of up to `requestBytes` (the device's
// SIZE_MAX), all in flight together: few requests, one copy each way. Small block-aligned reads
// go through a write-through LRU cache, which is what file-system metadata lookups hit.
// Sequential large reads are read ahead: once a large read continues the previous one, the next
// `readAheadBytes` of the disk are requested at once, in chunks of `requestBytes` into DMA
// buffers kept for the purpose, and every chunk the caller consumes is sent out again for the
// next stretch — so the device reads while the caller copies and computes, instead of one
// request at a time (each a round trip between threads).
import { Errno, KernelError, type BlockDevice } from '@osv-ts/kernel-api';
import { WaitQueue, type Scheduler } from '@osv-ts/core-sched';
import type { GuestMemory } from '../guest-memory.js';
import type { GuestVirtqueue } from '../guest/guest-virtqueue.js';
import type { DmaAllocator, VirtioMmioTransport } from '../guest/mmio-transport.js';
import { Feature, INT_CONFIG, bit } from '../mmio/registers.js';
import { IndirectTablePool } from '../ring/indirect-pool.js';
import {
  BLK_DISCARD_SEGMENT_BYTES,
  BLK_ID_BYTES,
  BLK_REQUEST_HEADER_BYTES,
  BlkConfig,
  BlkFeature,
  BlkRequestType,
  BlkStatus,
  SECTOR_BYTES,
} from './blk-format.js';

export interface VirtioBlkDriverOptions {
  /** Request slots (requests in flight at once), each with a DMA buffer of `slotBytes`. */
  readonly slots?: number;
  /** The data buffer of a slot: transfers up to this size use a slot's own buffer. */
  readonly slotBytes?: number;
  /** Largest data transfer per request (further capped by the device's SIZE_MAX). */
  readonly requestBytes?: number;
  /** Largest DMA window a big transfer takes at once (it goes window by window). */
  readonly windowBytes?: number;
  /** Blocks of `cacheBlockBytes` kept by the buffer cache (0 disables it). */
  readonly cacheBlocks?: number;
  readonly cacheBlockBytes?: number;
  /** Largest queue size to ask for. */
  readonly queueSize?: number;
  /** Bytes requested ahead of a sequential stream of large reads (0 disables read-ahead). */
  readonly readAheadBytes?: number;
}

/** One read-ahead request: disk bytes [offset, offset + length) into DMA buffer `data`. */
interface AheadChunk {
  readonly offset: number;
  readonly length: number;
  readonly data: number;
  /** The request's slot while it is outstanding (undefined once its status has been taken). */
  slot: Slot | undefined;
  ok: boolean;
  /** Bytes already handed to a caller, from the front. */
  used: number;
  /** A write or discard overlapped it after it was requested: never to be copied from. */
  stale: boolean;
}

interface Slot {
  readonly base: number;
  readonly header: number;
  readonly status: number;
  readonly data: number;
  busy: boolean;
  done: boolean;
  written: number;
}

const SLOT_META_BYTES = 4096;
const DEFAULT_SLOT_BYTES = 64 * 1024;
const DEFAULT_REQUEST_BYTES = 1024 * 1024;
const DEFAULT_WINDOW_BYTES = 4 * 1024 * 1024;
const DEFAULT_READ_AHEAD_BYTES = 4 * 1024 * 1024;

export class VirtioBlkDriver implements BlockDevice {
  readonly sectorSizeBytes = SECTOR_BYTES;
  sizeBytes = 0;
  readOnly = false;
  /** Logical block size the device reports (BLK_SIZE), informational. */
  blockSizeBytes = SECTOR_BYTES;
  private queue!: GuestVirtqueue<Slot>;
  private slots: Slot[] = [];
  private requestBytes: number;
  private readonly slotBytes: number;
  private readonly windowBytes: number;
  private readonly cacheBlocks: number;
  private readonly cacheBlockBytes: number;
  /** LRU by Map insertion order: block index → contents. */
  private readonly cache = new Map<number, Uint8Array>();
  private broken = false;
  private features = 0n;
  /** Read-ahead chunks outstanding or unconsumed, contiguous and in disk order. */
  private ahead: AheadChunk[] = [];
  /** DMA buffers of `requestBytes` for read-ahead that no chunk holds. */
  private readonly aheadFree: number[] = [];
  private aheadBuffers = 0;
  private aheadDepth = 0;
  /** Where the next read-ahead chunk starts (the end of the last one requested). */
  private aheadNext = 0;
  /** End of the last large read: a read starting here continues a sequential stream. */
  private lastReadEnd = -1;
  /** A thread is using the read-ahead chunks (blocked on one): others go around them. */
  private aheadBusy = false;
  readonly completions = new WaitQueue('virtio-blk');
  readonly counters = {
    requests: 0,
    readRequests: 0,
    writeRequests: 0,
    bytesRead: 0,
    bytesWritten: 0,
    cacheHits: 0,
    cacheMisses: 0,
    readAheadRequests: 0,
    readAheadBytesUsed: 0,
    notifications: 0,
    interrupts: 0,
    waits: 0,
    errors: 0,
  };

  constructor(
    readonly name: string,
    private readonly transport: VirtioMmioTransport,
    private readonly mem: GuestMemory,
    private readonly dma: DmaAllocator,
    private readonly sched: Scheduler,
    private readonly options: VirtioBlkDriverOptions = {},
  ) {
    this.requestBytes = options.requestBytes ?? DEFAULT_REQUEST_BYTES;
    this.slotBytes = options.slotBytes ?? Math.min(DEFAULT_SLOT_BYTES, this.requestBytes);
    this.windowBytes = Math.max(options.windowBytes ?? DEFAULT_WINDOW_BYTES, this.requestBytes);
    this.cacheBlocks = options.cacheBlocks ?? 64;
    this.cacheBlockBytes = options.cacheBlockBytes ?? 4096;
  }

  /** §3.1.1 initialization; throws VirtioInitError when the device refuses. */
  init(): void {
    const t = this.transport;
    const f = t.negotiate(
      bit(Feature.EVENT_IDX) |
        bit(Feature.INDIRECT_DESC) |
        bit(BlkFeature.SIZE_MAX) |
        bit(BlkFeature.SEG_MAX) |
        bit(BlkFeature.BLK_SIZE) |
        bit(BlkFeature.FLUSH) |
        bit(BlkFeature.RO) |
        bit(BlkFeature.DISCARD) |
        bit(BlkFeature.WRITE_ZEROES),
    );
    this.features = f;
    const capacity = t.readConfig(BlkConfig.capacity, 4) + t.readConfig(BlkConfig.capacity + 4, 4) * 2 ** 32;
    this.sizeBytes = capacity * SECTOR_BYTES;
    this.readOnly = this.has(BlkFeature.RO);
    if (this.has(BlkFeature.BLK_SIZE)) this.blockSizeBytes = t.readConfig(BlkConfig.blkSize, 4) || SECTOR_BYTES;
    // §5.2.6.3: one request may carry at most seg_max data segments of at most size_max bytes;
    // we send one data segment, so size_max bounds a request.
    if (this.has(BlkFeature.SIZE_MAX)) {
      const sizeMax = t.readConfig(BlkConfig.sizeMax, 4);
      if (sizeMax >= SECTOR_BYTES) this.requestBytes = Math.min(this.requestBytes, sizeMax - (sizeMax % SECTOR_BYTES));
    }
    const slots = this.options.slots ?? 16;
    // §2.7.5.3: with INDIRECT_DESC each request (header, data, status) takes one ring slot.
    this.queue = t.setupQueue<Slot>(
      0,
      this.options.queueSize ?? 256,
      this.dma,
      new IndirectTablePool(this.dma, slots, 4),
    );
    for (let i = 0; i < slots; i++) {
      const base = this.dma.alloc(SLOT_META_BYTES + this.slotBytes);
      this.slots.push({
        base,
        header: base,
        status: base + BLK_REQUEST_HEADER_BYTES,
        data: base + SLOT_META_BYTES,
        busy: false,
        done: false,
        written: 0,
      });
    }
    // A stream may hold at most all slots but one: a transfer or a FLUSH always finds one.
    const aheadBytes = this.options.readAheadBytes ?? DEFAULT_READ_AHEAD_BYTES;
    this.aheadDepth = Math.max(0, Math.min(Math.floor(aheadBytes / this.requestBytes), slots - 1));
    t.driverOk();
  }

  read(offsetBytes: number, into: Uint8Array): void {
    this.check(offsetBytes, into.length);
    const cb = this.cacheBlockBytes;
    const block = Math.floor(offsetBytes / cb);
    if (
      this.cacheBlocks > 0 &&
      into.length <= cb &&
      Math.floor((offsetBytes + into.length - 1) / cb) === block &&
      (block + 1) * cb <= this.sizeBytes
    ) {
      let cached = this.cache.get(block);
      if (cached) {
        this.counters.cacheHits++;
        this.cache.delete(block);
      } else {
        this.counters.cacheMisses++;
        cached = new Uint8Array(cb);
        this.transfer(BlkRequestType.IN, block * cb, cached);
        if (this.cache.size >= this.cacheBlocks) this.cache.delete(this.cache.keys().next().value!);
      }
      this.cache.set(block, cached);
      into.set(cached.subarray(offsetBytes - block * cb, offsetBytes - block * cb + into.length));
      return;
    }
    if (this.aheadDepth === 0 || this.aheadBusy) {
      this.transfer(BlkRequestType.IN, offsetBytes, into);
      return;
    }
    this.aheadBusy = true;
    try {
      this.readStreamed(offsetBytes, into);
    } finally {
      this.aheadBusy = false;
    }
  }

  /**
   * A read that may be served from read-ahead chunks (when it starts where they do) and, when it
   * continues the previous large read, keeps the stream `aheadDepth` chunks ahead of it.
   */
  private readStreamed(offsetBytes: number, into: Uint8Array): void {
    const first = this.ahead[0];
    let done = 0;
    if (first !== undefined) {
      if (!first.stale && first.offset + first.used === offsetBytes) done = this.consumeAhead(offsetBytes, into);
      else this.dropAhead();
    }
    if (done < into.length) this.transfer(BlkRequestType.IN, offsetBytes + done, into.subarray(done));
    const end = offsetBytes + into.length;
    const sequential = offsetBytes === this.lastReadEnd || done > 0;
    this.lastReadEnd = end;
    if (sequential && into.length > this.slotBytes) this.fillAhead(end);
  }

  /** Copies what the chunks at the front hold of [offsetBytes, +into.length); bytes copied. */
  private consumeAhead(offsetBytes: number, into: Uint8Array): number {
    const end = offsetBytes + into.length;
    let pos = offsetBytes;
    while (pos < end) {
      const c = this.ahead[0];
      if (c === undefined || c.offset + c.used !== pos) break;
      this.settle(c);
      if (c.stale) break;
      if (!c.ok) {
        // The device failed the chunk somewhere: the caller reads its own range itself, so it
        // gets EIO exactly when a request for that range fails.
        this.dropAhead();
        break;
      }
      const n = Math.min(end - pos, c.offset + c.length - pos);
      const from = c.data + (pos - c.offset);
      into.set(this.mem.bytes.subarray(from, from + n), pos - offsetBytes);
      c.used += n;
      pos += n;
      this.counters.readAheadBytesUsed += n;
      if (c.used === c.length) {
        this.ahead.shift();
        this.aheadFree.push(c.data);
      }
    }
    return pos - offsetBytes;
  }

  /** Waits for a chunk's request and takes its status, freeing its slot. */
  private settle(c: AheadChunk): void {
    const slot = c.slot;
    if (slot === undefined) return;
    this.waitFor(() => slot.done);
    c.ok = this.mem.bytes[slot.status] === BlkStatus.OK;
    c.slot = undefined;
    slot.busy = false;
  }

  /** Lets every read-ahead chunk go (waiting out the outstanding ones: their buffers are DMA targets). */
  private dropAhead(): void {
    for (const c of this.ahead) {
      this.settle(c);
      this.aheadFree.push(c.data);
    }
    this.ahead = [];
  }

  /** Requests chunks from the stream's end (or `from`, starting one) until it is `aheadDepth` deep. */
  private fillAhead(from: number): void {
    if (this.ahead.length === 0) this.aheadNext = from;
    let added = false;
    while (this.ahead.length < this.aheadDepth && this.aheadNext < this.sizeBytes) {
      const slot = this.slots.find((s) => !s.busy);
      if (slot === undefined) break;
      let data = this.aheadFree.pop();
      if (data === undefined) {
        if (this.aheadBuffers >= this.aheadDepth) break;
        data = this.allocWindow(this.requestBytes);
        if (data === undefined) {
          this.aheadDepth = this.aheadBuffers; // no DMA memory for more: a shallower stream
          break;
        }
        this.aheadBuffers++;
      }
      const length = Math.min(this.requestBytes, this.sizeBytes - this.aheadNext);
      this.submit(slot, BlkRequestType.IN, this.aheadNext / SECTOR_BYTES, length, 0, data);
      this.ahead.push({ offset: this.aheadNext, length, data, slot, ok: true, used: 0, stale: false });
      this.aheadNext += length;
      this.counters.readAheadRequests++;
      added = true;
    }
    if (added) this.kick();
  }

  /** A write or discard of [offsetBytes, +lengthBytes): read-ahead chunks over it go stale. */
  private invalidateAhead(offsetBytes: number, lengthBytes: number): void {
    let any = false;
    for (const c of this.ahead) {
      if (c.offset < offsetBytes + lengthBytes && offsetBytes < c.offset + c.length) {
        c.stale = true;
        any = true;
      }
    }
    if (any && !this.aheadBusy) this.dropAhead();
  }

  write(offsetBytes: number, data: Uint8Array): void {
    this.check(offsetBytes, data.length);
    if (this.readOnly) throw new KernelError(Errno.EROFS, `${this.name} is read-only`);
    this.invalidateAhead(offsetBytes, data.length);
    this.transfer(BlkRequestType.OUT, offsetBytes, data);
    this.updateCache(offsetBytes, data);
  }

  flush(): void {
    if (!this.has(BlkFeature.FLUSH)) return; // §5.2.6.4: without FLUSH the device writes through
    this.simple(BlkRequestType.FLUSH, 0, new Uint8Array(0));
  }

  discard(offsetBytes: number, lengthBytes: number): void {
    this.check(offsetBytes, lengthBytes);
    this.invalidate(offsetBytes, lengthBytes);
    this.invalidateAhead(offsetBytes, lengthBytes);
    if (!this.has(BlkFeature.DISCARD)) return; // discard is a hint
    this.simple(BlkRequestType.DISCARD, 0, discardSegment(offsetBytes, lengthBytes, 0));
  }

  /** VIRTIO_BLK_T_WRITE_ZEROES when offered, else plain writes of zeroes. */
  writeZeroes(offsetBytes: number, lengthBytes: number): void {
    this.check(offsetBytes, lengthBytes);
    if (this.readOnly) throw new KernelError(Errno.EROFS, `${this.name} is read-only`);
    this.invalidate(offsetBytes, lengthBytes);
    this.invalidateAhead(offsetBytes, lengthBytes);
    if (this.has(BlkFeature.WRITE_ZEROES)) {
      this.simple(BlkRequestType.WRITE_ZEROES, 0, discardSegment(offsetBytes, lengthBytes, 0));
      return;
    }
    const zeroes = new Uint8Array(Math.min(lengthBytes, this.windowBytes));
    for (let at = 0; at < lengthBytes; at += zeroes.length) {
      this.transfer(
        BlkRequestType.OUT,
        offsetBytes + at,
        zeroes.subarray(0, Math.min(zeroes.length, lengthBytes - at)),
      );
    }
  }

  /** VIRTIO_BLK_T_GET_ID: the device's serial number. */
  getId(): string {
    const out = new Uint8Array(BLK_ID_BYTES);
    this.simple(BlkRequestType.GET_ID, 0, undefined, out);
    const end = out.indexOf(0);
    return new TextDecoder().decode(out.subarray(0, end < 0 ? out.length : end));
  }

  /** Interrupt handler: note a broken device, collect completions, wake waiters. */
  onInterrupt(): void {
    this.counters.interrupts++;
    const status = this.transport.takeInterrupt();
    if (status & INT_CONFIG && this.transport.needsReset()) this.broken = true;
    this.reap();
    this.completions.wakeAll();
  }

  private has(feature: bigint): boolean {
    return (this.features & bit(feature)) !== 0n;
  }

  private check(offsetBytes: number, lengthBytes: number): void {
    if (
      !Number.isSafeInteger(offsetBytes) ||
      offsetBytes < 0 ||
      offsetBytes % SECTOR_BYTES !== 0 ||
      lengthBytes % SECTOR_BYTES !== 0
    ) {
      throw new KernelError(Errno.EINVAL, `${this.name}: ${offsetBytes}+${lengthBytes} is not sector-aligned`);
    }
    if (offsetBytes + lengthBytes > this.sizeBytes)
      throw new KernelError(
        Errno.EINVAL,
        `${this.name}: ${offsetBytes}+${lengthBytes} beyond the end (${this.sizeBytes})`,
      );
  }

  /**
   * Moves a data transfer: through the slots' own buffers when it is small (or no DMA window
   * can be had), else window by window through a DMA window of its own, in requests of up to
   * `requestBytes` that go out together.
   */
  private transfer(type: number, offsetBytes: number, buffer: Uint8Array): void {
    const slotChunk = Math.min(this.slotBytes, this.requestBytes);
    const windowBytes = Math.min(buffer.length, this.windowBytes);
    const window = buffer.length > this.slotBytes ? this.allocWindow(windowBytes) : undefined;
    let failed = false;
    let requests = 0;
    try {
      if (window === undefined) {
        requests = Math.ceil(buffer.length / slotChunk);
        failed = this.transferChunks(type, offsetBytes, buffer, slotChunk, undefined);
      } else {
        for (let at = 0; at < buffer.length; at += windowBytes) {
          const part = buffer.subarray(at, Math.min(buffer.length, at + windowBytes));
          requests += Math.ceil(part.length / this.requestBytes);
          if (this.transferChunks(type, offsetBytes + at, part, this.requestBytes, window)) failed = true;
        }
      }
    } finally {
      if (window !== undefined) this.dma.free(window);
    }
    if (type === BlkRequestType.IN) {
      this.counters.readRequests += requests;
      this.counters.bytesRead += buffer.length;
    } else {
      this.counters.writeRequests += requests;
      this.counters.bytesWritten += buffer.length;
    }
    if (failed) {
      this.counters.errors++;
      throw new KernelError(
        Errno.EIO,
        `${this.name}: ${type === BlkRequestType.IN ? 'read' : 'write'} at ${offsetBytes}+${buffer.length} failed`,
      );
    }
  }

  /** A DMA window for a large transfer, or undefined (no memory: go through the slots). */
  private allocWindow(bytes: number): number | undefined {
    try {
      return this.dma.alloc(bytes);
    } catch (e) {
      if (e instanceof KernelError && e.errno === Errno.ENOMEM) return undefined;
      throw e;
    }
  }

  /**
   * Requests of `chunkBytes` over `buffer`, as many in flight as there are free slots; the data
   * of chunk i is at window + i × chunkBytes, or in its slot's own buffer. A completed read is
   * copied out as soon as it is in, while the rest are still being read. True if any failed.
   */
  private transferChunks(
    type: number,
    offsetBytes: number,
    buffer: Uint8Array,
    chunkBytes: number,
    window: number | undefined,
  ): boolean {
    const n = Math.ceil(buffer.length / chunkBytes);
    const out = type === BlkRequestType.OUT;
    if (out && window !== undefined) this.mem.bytes.set(buffer, window);
    let failed = false;
    const issued: { slot: Slot; at: number; length: number; data: number }[] = [];
    let next = 0;
    while (next < n || issued.length > 0) {
      // Fill every free slot, then publish the batch with at most one notification.
      let added = false;
      while (next < n) {
        const slot = this.slots.find((s) => !s.busy);
        if (!slot) break;
        const at = next * chunkBytes;
        const length = Math.min(chunkBytes, buffer.length - at);
        const data = window === undefined ? slot.data : window + at;
        if (out && window === undefined) this.mem.bytes.set(buffer.subarray(at, at + length), data);
        this.submit(slot, type, (offsetBytes + at) / SECTOR_BYTES, length, 0, data);
        issued.push({ slot, at, length, data });
        next++;
        added = true;
      }
      if (added) this.kick();
      this.waitFor(() => issued.some((r) => r.slot.done));
      for (let i = 0; i < issued.length;) {
        const r = issued[i]!;
        if (!r.slot.done) {
          i++;
          continue;
        }
        const status = this.mem.bytes[r.slot.status];
        if (status !== BlkStatus.OK) failed = true;
        else if (!out) buffer.set(this.mem.bytes.subarray(r.data, r.data + r.length), r.at);
        r.slot.busy = false;
        issued.splice(i, 1);
      }
    }
    return failed;
  }

  /** One request with a small readable body and/or a small writable reply. */
  private simple(type: number, sector: number, body: Uint8Array | undefined, reply?: Uint8Array): void {
    let slot: Slot | undefined;
    this.waitFor(() => (slot = this.slots.find((s) => !s.busy)) !== undefined);
    const s = slot!;
    if (body && body.length > 0) this.mem.bytes.set(body, s.data);
    this.submit(s, type, sector, body?.length ?? 0, reply?.length ?? 0);
    this.kick();
    this.waitFor(() => s.done);
    s.busy = false;
    const status = this.mem.bytes[s.status];
    if (reply) reply.set(this.mem.bytes.subarray(s.data, s.data + Math.min(reply.length, Math.max(0, s.written - 1))));
    if (status === BlkStatus.UNSUPP)
      throw new KernelError(Errno.EOPNOTSUPP, `${this.name}: request type ${type} not supported by the device`);
    if (status !== BlkStatus.OK) {
      this.counters.errors++;
      throw new KernelError(Errno.EIO, `${this.name}: request type ${type} failed`);
    }
  }

  private submit(
    slot: Slot,
    type: number,
    sector: number,
    readableData: number,
    writableData = 0,
    data = slot.data,
  ): void {
    const v = this.mem.view;
    v.setUint32(slot.header, type, true);
    v.setUint32(slot.header + 4, 0, true);
    v.setBigUint64(slot.header + 8, BigInt(sector), true);
    this.mem.bytes[slot.status] = 0xff;
    slot.busy = true;
    slot.done = false;
    slot.written = 0;
    const header = { address: slot.header, length: BLK_REQUEST_HEADER_BYTES };
    const status = { address: slot.status, length: 1 };
    const readable = [header];
    const writable = [];
    if (type === BlkRequestType.IN) writable.push({ address: data, length: readableData });
    else if (readableData > 0) readable.push({ address: data, length: readableData });
    if (writableData > 0) writable.push({ address: data, length: writableData });
    writable.push(status);
    this.queue.add(readable, writable, slot);
    this.counters.requests++;
  }

  private kick(): void {
    if (this.queue.publish()) {
      this.counters.notifications++;
      this.transport.notify(0);
    }
  }

  private reap(): void {
    let used;
    while ((used = this.queue.takeUsed()) !== undefined) {
      used.token.done = true;
      used.token.written = used.writtenBytes;
    }
  }

  private waitFor(cond: () => boolean): void {
    if (cond()) return;
    this.counters.waits++;
    this.sched.block(() => {
      this.reap();
      return cond() || this.broken;
    });
    if (!cond() && this.broken) throw new KernelError(Errno.EIO, `${this.name}: device needs reset`);
  }

  private updateCache(offsetBytes: number, data: Uint8Array): void {
    const cb = this.cacheBlockBytes;
    for (let b = Math.floor(offsetBytes / cb); b * cb < offsetBytes + data.length; b++) {
      const cached = this.cache.get(b);
      if (!cached) continue;
      const from = Math.max(offsetBytes, b * cb);
      const to = Math.min(offsetBytes + data.length, (b + 1) * cb);
      cached.set(data.subarray(from - offsetBytes, to - offsetBytes), from - b * cb);
    }
  }

  private invalidate(offsetBytes: number, lengthBytes: number): void {
    const cb = this.cacheBlockBytes;
    for (const b of [...this.cache.keys()])
      if ((b + 1) * cb > offsetBytes && b * cb < offsetBytes + lengthBytes) this.cache.delete(b);
  }
}

function discardSegment(offsetBytes: number, lengthBytes: number, flags: number): Uint8Array {
  const seg = new Uint8Array(BLK_DISCARD_SEGMENT_BYTES);
  const v = new DataView(seg.buffer);
  v.setBigUint64(0, BigInt(offsetBytes / SECTOR_BYTES), true);
  v.setUint32(8, lengthBytes / SECTOR_BYTES, true);
  v.setUint32(12, flags, true);
  return seg;
}
