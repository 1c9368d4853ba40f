// virtio-blk device model (virtio 1.2 §5.2) for the VMM: one request queue, requests handed to
// a BlockBackend and completed in whatever order the back-end finishes them, so several are in
// flight at once. Requests are parsed without trusting the guest's framing (§2.6.4): the header
// is the first 16 readable bytes, the status the last writable byte, whatever the descriptor
// boundaries. A bad request fails with VIRTIO_BLK_S_IOERR/UNSUPP; a bad ring is the
// transport's DEVICE_NEEDS_RESET. Not built: multiqueue (MQ), secure erase, lifetime.
import type { DeviceModel, DeviceModelHost } from '../device/device-model.js';
import type { DescriptorChain, DeviceVirtqueue, Segment } from '../device/device-virtqueue.js';
import { DeviceId, Feature, bit } from '../mmio/registers.js';
import type { BlockBackend } from './block-backend.js';
import { segmentRange } from '../ring/segment-range.js';
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

/** Requests moving at least this much data are signalled on completion, not at the batch's end. */
const SIGNAL_AT_ONCE_BYTES = 64 * 1024;

export interface VirtioBlkOptions {
  /** Serial number returned by GET_ID (at most 20 bytes). */
  readonly serial?: string;
  /** Refuse writes and offer VIRTIO_BLK_F_RO. */
  readonly readOnly?: boolean;
  /** Largest segment (SIZE_MAX) and segment count per request (SEG_MAX). */
  readonly sizeMaxBytes?: number;
  readonly segMax?: number;
  /** Logical block size offered with BLK_SIZE. */
  readonly blockSizeBytes?: number;
  readonly queueSize?: number;
}

export type BlkCounters = {
  requests: number;
  reads: number;
  writes: number;
  flushes: number;
  discards: number;
  writeZeroes: number;
  getIds: number;
  readBytes: number;
  writtenBytes: number;
  errors: number;
  unsupported: number;
  maxInFlight: number;
};

export class VirtioBlkDevice implements DeviceModel {
  readonly deviceId = DeviceId.Block;
  readonly deviceFeatures: bigint;
  readonly numQueues = 1;
  readonly configBytes = BlkConfig.bytes;
  readonly maxQueueSize: number;
  readonly counters: BlkCounters = {
    requests: 0,
    reads: 0,
    writes: 0,
    flushes: 0,
    discards: 0,
    writeZeroes: 0,
    getIds: 0,
    readBytes: 0,
    writtenBytes: 0,
    errors: 0,
    unsupported: 0,
    maxInFlight: 0,
  };
  readonly readOnly: boolean;
  private readonly config = new DataView(new ArrayBuffer(BlkConfig.bytes));
  private readonly serial: Uint8Array;
  private host: DeviceModelHost | undefined;
  private queue: DeviceVirtqueue | undefined;
  /** Bumped at reset: completions of requests from an earlier generation are dropped. */
  private generation = 0;
  private inFlight = 0;
  /** Inside a batch (notify/service): completions are signalled once at its end. */
  private batching = false;
  private unsignalled = false;

  constructor(
    readonly name: string,
    readonly backend: BlockBackend,
    /** As given: a device thread builds its own copy of the device from these. */
    readonly options: VirtioBlkOptions = {},
  ) {
    this.readOnly = options.readOnly ?? backend.readOnly;
    this.maxQueueSize = options.queueSize ?? 256;
    const sizeMax = options.sizeMaxBytes ?? 1 << 20;
    const segMax = options.segMax ?? 126;
    const blkSize = options.blockSizeBytes ?? SECTOR_BYTES;
    const c = this.config;
    c.setBigUint64(BlkConfig.capacity, BigInt(Math.floor(backend.sizeBytes / SECTOR_BYTES)), true);
    c.setUint32(BlkConfig.sizeMax, sizeMax, true);
    c.setUint32(BlkConfig.segMax, segMax, true);
    c.setUint32(BlkConfig.blkSize, blkSize, true);
    c.setUint16(BlkConfig.numQueues, 1, true);
    c.setUint32(BlkConfig.maxDiscardSectors, 0xffffffff, true);
    c.setUint32(BlkConfig.maxDiscardSeg, 16, true);
    c.setUint32(BlkConfig.discardSectorAlignment, 1, true);
    c.setUint32(BlkConfig.maxWriteZeroesSectors, 0xffffffff, true);
    c.setUint32(BlkConfig.maxWriteZeroesSeg, 16, true);
    c.setUint8(BlkConfig.writeZeroesMayUnmap, 1);
    this.serial = new TextEncoder().encode(options.serial ?? name).subarray(0, BLK_ID_BYTES);
    let features =
      bit(Feature.VERSION_1) |
      bit(Feature.EVENT_IDX) |
      bit(Feature.INDIRECT_DESC) |
      bit(BlkFeature.SIZE_MAX) |
      bit(BlkFeature.SEG_MAX) |
      bit(BlkFeature.BLK_SIZE) |
      bit(BlkFeature.FLUSH);
    if (this.readOnly) features |= bit(BlkFeature.RO);
    else features |= bit(BlkFeature.DISCARD) | bit(BlkFeature.WRITE_ZEROES);
    this.deviceFeatures = features;
  }

  get capacitySectors(): number {
    return Math.floor(this.backend.sizeBytes / SECTOR_BYTES);
  }

  readConfig(offset: number, size: number): number {
    if (offset < 0 || offset + size > BlkConfig.bytes) return 0;
    const c = this.config;
    return size === 1 ? c.getUint8(offset) : size === 2 ? c.getUint16(offset, true) : c.getUint32(offset, true);
  }

  activate(host: DeviceModelHost, _features: bigint, queues: readonly (DeviceVirtqueue | undefined)[]): void {
    this.host = host;
    this.queue = queues[0];
  }

  reset(): void {
    this.generation++;
    this.host = undefined;
    this.queue = undefined;
    this.inFlight = 0;
  }

  notify(index: number): void {
    if (index === 0) this.drain();
  }

  /** Device thread: takes every request the driver made available, its kicks off meanwhile. */
  service(): boolean {
    const q = this.queue;
    if (!q) return false;
    q.disableNotifications();
    return this.drain();
  }

  quiesce(): boolean {
    return this.queue?.enableNotifications() ?? true;
  }

  idle(): boolean {
    return this.inFlight === 0;
  }

  /**
   * Starts every available request; a back-end that answers at once (memory, synchronous file
   * I/O on a device thread) completes them inside the batch, which costs one interrupt check
   * (§2.7.7) at its end instead of one per request.
   */
  private drain(): boolean {
    const q = this.queue;
    if (!q) return false;
    let started = 0;
    this.batching = true;
    try {
      let chain;
      while ((chain = q.pop()) !== undefined) {
        const before = this.inFlight;
        started++;
        try {
          this.start(chain);
        } catch (e) {
          // A request that threw before reaching the back-end is not in flight (the transport
          // turns the error into DEVICE_NEEDS_RESET).
          this.inFlight = before;
          throw e;
        }
      }
    } finally {
      this.batching = false;
      if (this.unsignalled) {
        this.unsignalled = false;
        if (this.queue === q && this.host) this.host.signalUsed(q);
      }
    }
    return started > 0;
  }

  /** Requests handed to the back-end and not yet completed. */
  get requestsInFlight(): number {
    return this.inFlight;
  }

  private start(chain: DescriptorChain): void {
    const host = this.host!;
    this.counters.requests++;
    this.inFlight++;
    if (this.inFlight > this.counters.maxInFlight) this.counters.maxInFlight = this.inFlight;
    const generation = this.generation;
    let statusAt: Segment | undefined;
    const complete = (status: number, dataWritten: number): void => {
      if (generation !== this.generation) return; // the device was reset meanwhile
      this.inFlight--;
      if (status === BlkStatus.IOERR) this.counters.errors++;
      if (status === BlkStatus.UNSUPP) this.counters.unsupported++;
      const q = this.queue;
      if (!q) return;
      try {
        if (statusAt) host.memory.bytes[statusAt.address] = status;
        q.pushUsed(chain.head, statusAt ? dataWritten + 1 : 0);
        // A large transfer costs far more than an interrupt check: signal it at once, so the
        // driver copies it out while the next one is read (its EVENT_IDX still decides).
        if (this.batching && dataWritten + chain.readableBytes < SIGNAL_AT_ONCE_BYTES) this.unsignalled = true;
        else host.signalUsed(q);
      } catch (e) {
        host.fail(`virtio-blk completion: ${(e as Error).message}`);
      }
    };
    // §5.2.6: the status is the last byte the device writes; no writable byte, no request.
    if (chain.writableBytes < 1 || chain.readableBytes < BLK_REQUEST_HEADER_BYTES) {
      if (chain.writableBytes >= 1) statusAt = segmentRange(chain.writable, chain.writableBytes - 1, 1)[0];
      return complete(BlkStatus.IOERR, 0);
    }
    statusAt = segmentRange(chain.writable, chain.writableBytes - 1, 1)[0];
    const header = gather(host, chain.readable, 0, BLK_REQUEST_HEADER_BYTES);
    const hv = new DataView(header.buffer, header.byteOffset, header.byteLength);
    const type = hv.getUint32(0, true);
    const sector = Number(hv.getBigUint64(8, true));
    const outBytes = chain.readableBytes - BLK_REQUEST_HEADER_BYTES;
    const inBytes = chain.writableBytes - 1;
    switch (type) {
      case BlkRequestType.IN: {
        this.counters.reads++;
        const pieces = segmentRange(chain.writable, 0, inBytes);
        if (!this.rangeOk(sector, inBytes)) return complete(BlkStatus.IOERR, 0);
        this.counters.readBytes += inBytes;
        return this.transfer(pieces, sector * SECTOR_BYTES, 'read', (ok) =>
          complete(ok ? BlkStatus.OK : BlkStatus.IOERR, ok ? inBytes : 0),
        );
      }
      case BlkRequestType.OUT: {
        this.counters.writes++;
        if (this.readOnly || !this.rangeOk(sector, outBytes)) return complete(BlkStatus.IOERR, 0);
        this.counters.writtenBytes += outBytes;
        const pieces = segmentRange(chain.readable, BLK_REQUEST_HEADER_BYTES, outBytes);
        return this.transfer(pieces, sector * SECTOR_BYTES, 'write', (ok) =>
          complete(ok ? BlkStatus.OK : BlkStatus.IOERR, 0),
        );
      }
      case BlkRequestType.FLUSH:
        this.counters.flushes++;
        return this.backend.flush((e) => complete(e ? BlkStatus.IOERR : BlkStatus.OK, 0));
      case BlkRequestType.GET_ID: {
        this.counters.getIds++;
        const id = new Uint8Array(BLK_ID_BYTES);
        id.set(this.serial);
        const n = Math.min(inBytes, BLK_ID_BYTES);
        scatter(host, chain.writable, 0, id.subarray(0, n));
        return complete(BlkStatus.OK, n);
      }
      case BlkRequestType.DISCARD:
      case BlkRequestType.WRITE_ZEROES: {
        const discard = type === BlkRequestType.DISCARD;
        if (discard) this.counters.discards++;
        else this.counters.writeZeroes++;
        if (this.readOnly) return complete(BlkStatus.UNSUPP, 0);
        if (outBytes === 0 || outBytes % BLK_DISCARD_SEGMENT_BYTES !== 0) return complete(BlkStatus.IOERR, 0);
        const body = gather(host, chain.readable, BLK_REQUEST_HEADER_BYTES, outBytes);
        const bv = new DataView(body.buffer, body.byteOffset, body.byteLength);
        const ranges: [number, number][] = [];
        for (let at = 0; at < outBytes; at += BLK_DISCARD_SEGMENT_BYTES) {
          const s = Number(bv.getBigUint64(at, true));
          const n = bv.getUint32(at + 8, true);
          const flags = bv.getUint32(at + 12, true);
          // §5.2.6.2: unknown flags (and UNMAP on discard) make the request unsupported.
          if (flags & ~1 || (discard && flags !== 0)) return complete(BlkStatus.UNSUPP, 0);
          if (!this.rangeOk(s, n * SECTOR_BYTES)) return complete(BlkStatus.IOERR, 0);
          ranges.push([s * SECTOR_BYTES, n * SECTOR_BYTES]);
        }
        return this.eachRange(ranges, discard, (ok) => complete(ok ? BlkStatus.OK : BlkStatus.IOERR, 0));
      }
      default:
        return complete(BlkStatus.UNSUPP, 0);
    }
  }

  private rangeOk(sector: number, bytes: number): boolean {
    return (
      bytes % SECTOR_BYTES === 0 &&
      Number.isSafeInteger(sector) &&
      sector + bytes / SECTOR_BYTES <= this.capacitySectors
    );
  }

  /** Issues one back-end call per guest segment, all at once; `done(ok)` after the last. */
  private transfer(pieces: Segment[], offsetBytes: number, op: 'read' | 'write', done: (ok: boolean) => void): void {
    if (pieces.length === 0) return done(true);
    const mem = this.host!.memory;
    let pending = pieces.length;
    let ok = true;
    const one = (e?: Error): void => {
      if (e) ok = false;
      if (--pending === 0) done(ok);
    };
    // Every view first: a bad address must fail the request before any part reaches the disk.
    const views = pieces.map((p) => mem.slice(p.address, p.length, 'virtio-blk data buffer'));
    let at = offsetBytes;
    for (const view of views) {
      if (op === 'read') this.backend.read(at, view, one);
      else this.backend.write(at, view, one);
      at += view.length;
    }
  }

  private eachRange(ranges: [number, number][], discard: boolean, done: (ok: boolean) => void): void {
    let pending = ranges.length;
    let ok = true;
    const one = (e?: Error): void => {
      if (e) ok = false;
      if (--pending === 0) done(ok);
    };
    for (const [offset, length] of ranges) {
      if (discard) this.backend.discard(offset, length, one);
      else this.backend.writeZeroes(offset, length, one);
    }
  }
}

function gather(host: DeviceModelHost, segments: readonly Segment[], start: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of segmentRange(segments, start, length)) {
    out.set(host.memory.slice(p.address, p.length, 'virtio-blk request'), at);
    at += p.length;
  }
  return out;
}

function scatter(host: DeviceModelHost, segments: readonly Segment[], start: number, data: Uint8Array): void {
  let at = 0;
  for (const p of segmentRange(segments, start, data.length)) {
    host.memory.slice(p.address, p.length, 'virtio-blk reply').set(data.subarray(at, at + p.length));
    at += p.length;
  }
}
