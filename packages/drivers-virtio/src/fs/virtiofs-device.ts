// virtio-fs device model (virtio 1.2 §5.11): a hiprio queue and one request queue carrying FUSE
// messages (§5.11.6: each request is one chain, the device-readable part a fuse_in_header and
// its arguments, the device-writable part room for the fuse_out_header and the result). The
// device decodes each request with the FUSE codec, hands it to its FuseBackend and writes the
// encoded reply back. A request that does not decode is answered EINVAL when its header is
// readable, else returned with nothing written; a reply larger than the room the driver gave
// is answered ERANGE instead, so nothing is written past the driver's buffers. Leaves out: DAX windows (shared
// memory regions, §5.11.5), the notification queue, multiple request queues.
import { Errno } from '@osv-ts/kernel-api';
import type { DeviceModel, DeviceModelHost } from '../device/device-model.js';
import type { DescriptorChain, DeviceVirtqueue, Segment } from '../device/device-virtqueue.js';
import { DeviceId, Feature, bit } from '../mmio/registers.js';
import { segmentRange } from '../ring/segment-range.js';
import { FuseSize } from './fuse-abi.js';
import type { FuseBackend } from './fuse-backend.js';
import { FuseFormatError } from './fuse-format-error.js';
import { encodeFuseReply, type FuseReply } from './fuse-reply.js';
import { decodeFuseRequest } from './fuse-request.js';
import { FS_HIPRIO_QUEUE, FS_TAG_BYTES, FsConfig } from './virtiofs-format.js';

export interface VirtioFsOptions {
  /** Queue size offered (QueueNumMax); default 128. */
  readonly queueSize?: number;
}

export interface VirtioFsCounters {
  requests: number;
  forgets: number;
  errors: number;
  malformed: number;
  readBytes: number;
  writtenBytes: number;
  [name: string]: number;
}

export class VirtioFsDevice implements DeviceModel {
  readonly deviceId = DeviceId.Fs;
  readonly deviceFeatures = bit(Feature.VERSION_1) | bit(Feature.EVENT_IDX) | bit(Feature.INDIRECT_DESC);
  readonly numQueues = 2;
  readonly configBytes = FsConfig.bytes;
  readonly maxQueueSize: number;
  readonly counters: VirtioFsCounters = {
    requests: 0,
    forgets: 0,
    errors: 0,
    malformed: 0,
    readBytes: 0,
    writtenBytes: 0,
  };
  private readonly config = new DataView(new ArrayBuffer(FsConfig.bytes));
  private host: DeviceModelHost | undefined;
  private queues: (DeviceVirtqueue | undefined)[] = [];

  constructor(
    readonly name: string,
    /** The mount tag the guest names the file system by (§5.11.4), at most 36 UTF-8 bytes. */
    readonly tag: string,
    readonly backend: FuseBackend,
    readonly options: VirtioFsOptions = {},
  ) {
    const bytes = new TextEncoder().encode(tag);
    if (bytes.length === 0 || bytes.length > FS_TAG_BYTES)
      throw new RangeError(`virtio-fs tag '${tag}': 1 to ${FS_TAG_BYTES} UTF-8 bytes`);
    new Uint8Array(this.config.buffer).set(bytes, FsConfig.tag);
    this.config.setUint32(FsConfig.numRequestQueues, 1, true);
    this.maxQueueSize = options.queueSize ?? 128;
  }

  readConfig(offset: number, size: number): number {
    if (offset < 0 || offset + size > FsConfig.bytes) return 0;
    const c = this.config;
    return size === 1 ? c.getUint8(offset) : size === 2 ? c.getUint16(offset, true) : c.getUint32(offset, true);
  }

  activate(host: DeviceModelHost, _features: bigint, queues: readonly (DeviceVirtqueue | undefined)[]): void {
    this.host = host;
    this.queues = [...queues];
  }

  reset(): void {
    this.host = undefined;
    this.queues = [];
  }

  notify(index: number): void {
    const q = this.queues[index];
    if (q) this.drain(q);
  }

  /** Device thread: answers everything available on both queues, kicks off meanwhile. */
  service(): boolean {
    let any = false;
    for (const q of this.queues) {
      if (!q) continue;
      q.disableNotifications();
      if (this.drain(q)) any = true;
    }
    return any;
  }

  quiesce(): boolean {
    let safe = true;
    for (const q of this.queues) if (q && !q.enableNotifications()) safe = false;
    return safe;
  }

  // No idle(): the FUSE session (node ids, open handles) lives in the back-end, and a device
  // thread builds a back-end of its own, so the device must not move to a thread mid-session.
  // Without idle() the transport hands the queues to the thread at DRIVER_OK, before the first
  // request, and the guest waits for the thread to come up (DeviceModel.idle).

  private drain(q: DeviceVirtqueue): boolean {
    const host = this.host;
    if (!host) return false;
    let chain;
    let any = false;
    while ((chain = q.pop()) !== undefined) {
      const written = this.answer(host, chain, q.index === FS_HIPRIO_QUEUE);
      q.pushUsed(chain.head, written);
      // Signalled chain by chain, not once a batch: a reader with READs in flight keeps adding
      // chains while we drain, and would otherwise wait out the whole batch for the reply it
      // needs first. With EVENT_IDX (§2.7.10) this raises an interrupt only where the driver's
      // used_event asks for one, i.e. at most once per time it looked.
      host.signalUsed(q);
      any = true;
    }
    return any;
  }

  /** Handles one chain; returns the bytes written into its device-writable part. */
  private answer(host: DeviceModelHost, chain: DescriptorChain, hiprio: boolean): number {
    const bytes = gather(host, chain.readable, chain.readableBytes);
    let request;
    try {
      request = decodeFuseRequest(bytes);
    } catch (e) {
      if (!(e instanceof FuseFormatError)) throw e;
      this.counters.malformed++;
      if (bytes.length < 16) return 0;
      const unique = new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(8, true);
      return this.reply(host, chain, unique, { kind: 'error', errno: Errno.EINVAL });
    }
    const { header, body } = request;
    this.counters.requests++;
    if (body === undefined) return this.reply(host, chain, header.unique, { kind: 'error', errno: Errno.ENOSYS });
    // §5.11.6.2: the hiprio queue carries FORGET (and INTERRUPT); anything else there is refused.
    const forget = body.op === 'forget' || body.op === 'batch-forget';
    if (hiprio && !forget) return this.reply(host, chain, header.unique, { kind: 'error', errno: Errno.EINVAL });
    if (forget) this.counters.forgets++;
    if (body.op === 'write') this.counters.writtenBytes += body.data.length;
    if (body.op === 'read' && this.backend.readInto) {
      const direct = this.readDirect(host, chain, header.unique, body.fh, body.offset, body.size);
      if (direct !== undefined) return direct;
    }
    const reply = this.backend.handle({ header, body });
    if (reply === undefined) return 0;
    if (reply.kind === 'error') this.counters.errors++;
    if (reply.kind === 'data' && body.op === 'read') this.counters.readBytes += reply.data.length;
    return this.reply(host, chain, header.unique, reply);
  }

  /**
   * READ into the driver's buffer itself when its writable part is one segment: the back-end
   * reads from the host file straight into guest RAM after the out header, which is written
   * last. Undefined: not that layout (the copying path answers).
   */
  private readDirect(
    host: DeviceModelHost,
    chain: DescriptorChain,
    unique: bigint,
    fh: bigint,
    offset: bigint,
    size: number,
  ): number | undefined {
    const [segment, ...rest] = chain.writable;
    if (!segment || rest.length > 0 || segment.length < FuseSize.outHeader) return undefined;
    const room = Math.min(size, segment.length - FuseSize.outHeader);
    const data = host.memory.slice(segment.address + FuseSize.outHeader, room, 'virtio-fs read');
    const result = this.backend.readInto!(fh, offset, data);
    if (typeof result !== 'number') return this.reply(host, chain, unique, result);
    const length = FuseSize.outHeader + result;
    const header = host.memory.slice(segment.address, FuseSize.outHeader, 'virtio-fs reply');
    const out = new DataView(header.buffer, header.byteOffset, FuseSize.outHeader);
    out.setUint32(0, length, true);
    out.setInt32(4, 0, true);
    out.setBigUint64(8, unique, true);
    this.counters.readBytes += result;
    return length;
  }

  private reply(host: DeviceModelHost, chain: DescriptorChain, unique: bigint, reply: FuseReply): number {
    if (chain.writableBytes < FuseSize.outHeader) return 0;
    let bytes = encodeFuseReply(unique, reply);
    // The driver sized its buffer for the op's largest reply; one that does not fit is an error.
    if (bytes.length > chain.writableBytes) bytes = encodeFuseReply(unique, { kind: 'error', errno: Errno.ERANGE });
    scatter(host, chain.writable, bytes);
    return bytes.length;
  }
}

/**
 * The device-readable bytes of a chain: a view of guest RAM when they are one segment (the
 * codec reads each field once, so the guest changing them meanwhile cannot make it see two
 * values; a WRITE's data then goes from guest RAM to the host file with no copy), else a copy.
 */
function gather(host: DeviceModelHost, segments: readonly Segment[], length: number): Uint8Array {
  const [only, ...rest] = segments;
  if (only && rest.length === 0 && only.length >= length)
    return host.memory.slice(only.address, length, 'virtio-fs request');
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of segmentRange(segments, 0, length)) {
    out.set(host.memory.slice(p.address, p.length, 'virtio-fs request'), at);
    at += p.length;
  }
  return out;
}

function scatter(host: DeviceModelHost, segments: readonly Segment[], data: Uint8Array): void {
  let at = 0;
  for (const p of segmentRange(segments, 0, data.length)) {
    host.memory.slice(p.address, p.length, 'virtio-fs reply').set(data.subarray(at, at + p.length));
    at += p.length;
  }
}
