// virtio-fs driver (virtio 1.2 §5.11.5/§5.11.6): reads the mount tag, sets up the hiprio and
// the first request queue, and does the FUSE_INIT handshake; then `call` sends one FUSE request
// and blocks in the scheduler until the device returns its chain, and `forget` drops lookup
// references on the hiprio queue. One request is in flight at a time (callers queue on `idle`):
// the request and reply travel through two DMA buffers of the page allocator, sized for the
// largest READ/WRITE the handshake agreed on (1 MiB asked for). A request is encoded straight
// into its buffer and a READ's data is handed back as a view of the reply buffer, so a WRITE's
// data is copied once (caller -> DMA) and a READ's once (DMA -> caller). Straight into the
// app's buffer is not possible: a WASI app's linear memory is not guest RAM. Replies are decoded with the FUSE codec and
// trusted no further than it checks.
import { Errno, KernelError } from '@osv-ts/kernel-api';
import { WaitQueue, type Scheduler } from '@osv-ts/core-sched';
import type { GuestMemory } from '../guest-memory.js';
import type { GuestVirtqueue } from '../guest/guest-virtqueue.js';
import type { DmaAllocator, VirtioMmioTransport } from '../guest/mmio-transport.js';
import { Feature, INT_CONFIG, bit } from '../mmio/registers.js';
import { FUSE_KERNEL_MINOR_VERSION, FUSE_KERNEL_VERSION, FUSE_ROOT_ID, FuseInitFlag, FuseSize } from './fuse-abi.js';
import { decodeFuseReply, type FuseReplyBody } from './fuse-reply.js';
import { encodeFuseRequest, type FuseRequestBody } from './fuse-request.js';
import type { FuseSession } from './fuse-session.js';
import { FS_HIPRIO_QUEUE, FS_REQUEST_QUEUE, FS_TAG_BYTES, FsConfig } from './virtiofs-format.js';

/** Largest READ/WRITE payload asked for (the device may agree to less). */
export const VIRTIOFS_MAX_IO_BYTES = 1024 * 1024;
/** Room for the fixed structures and two names around a payload. */
const ENVELOPE_BYTES = 8192;

export class VirtioFsDriver implements FuseSession {
  tag = '';
  /** Largest READ/WRITE payload, as agreed in FUSE_INIT. */
  maxIoBytes = VIRTIOFS_MAX_IO_BYTES;
  readonly counters = { requests: 0, forgets: 0, errors: 0, interrupts: 0 };
  private requestQueue!: GuestVirtqueue<number>;
  private hiprioQueue!: GuestVirtqueue<number>;
  private inBuffer = 0;
  private outBuffer = 0;
  private forgetBuffer = 0;
  private nextUnique = 1n;
  private busy = false;
  private returned = -1;
  private forgetReturned = false;
  private broken = false;
  readonly idle = new WaitQueue('virtio-fs');

  constructor(
    readonly name: string,
    private readonly transport: VirtioMmioTransport,
    private readonly mem: GuestMemory,
    private readonly dma: DmaAllocator,
    private readonly sched: Scheduler,
  ) {}

  init(): void {
    const t = this.transport;
    t.negotiate(bit(Feature.EVENT_IDX));
    const tag = new Uint8Array(FS_TAG_BYTES);
    for (let i = 0; i < FS_TAG_BYTES; i++) tag[i] = t.readConfig(FsConfig.tag + i, 1);
    const end = tag.indexOf(0);
    this.tag = new TextDecoder().decode(tag.subarray(0, end < 0 ? FS_TAG_BYTES : end));
    if (t.readConfig(FsConfig.numRequestQueues, 4) < 1)
      throw new KernelError(Errno.ENODEV, `${this.name}: no request queue`);
    this.hiprioQueue = t.setupQueue<number>(FS_HIPRIO_QUEUE, 8, this.dma);
    this.requestQueue = t.setupQueue<number>(FS_REQUEST_QUEUE, 8, this.dma);
    this.inBuffer = this.dma.alloc(ENVELOPE_BYTES + VIRTIOFS_MAX_IO_BYTES);
    this.outBuffer = this.dma.alloc(ENVELOPE_BYTES + VIRTIOFS_MAX_IO_BYTES);
    this.forgetBuffer = this.dma.alloc(FuseSize.inHeader + FuseSize.forgetIn);
    t.driverOk();
    const init = this.call(FUSE_ROOT_ID, {
      op: 'init',
      major: FUSE_KERNEL_VERSION,
      minor: FUSE_KERNEL_MINOR_VERSION,
      maxReadahead: VIRTIOFS_MAX_IO_BYTES,
      flags: FuseInitFlag.BIG_WRITES | FuseInitFlag.MAX_PAGES,
    });
    if (init.kind !== 'init' || init.major !== FUSE_KERNEL_VERSION)
      throw new KernelError(
        Errno.EPROTO,
        `${this.name}: the device speaks FUSE ${init.kind === 'init' ? init.major : '?'}`,
      );
    this.maxIoBytes = Math.max(4096, Math.min(VIRTIOFS_MAX_IO_BYTES, init.maxWrite));
  }

  /**
   * Sends one request and returns the result; an error reply throws KernelError with its errno,
   * and a reply the codec refuses throws FuseFormatError (EIO).
   */
  call(nodeid: bigint, body: FuseRequestBody): FuseReplyBody {
    if (this.busy) this.sched.block(() => !this.busy);
    this.busy = true;
    try {
      return this.callNow(nodeid, body);
    } finally {
      this.busy = false;
      this.idle.wakeAll();
    }
  }

  private callNow(nodeid: bigint, body: FuseRequestBody): FuseReplyBody {
    if (this.broken) throw new KernelError(Errno.EIO, `${this.name}: device needs reset`);
    const unique = this.nextUnique++;
    const room = this.mem.bytes.subarray(this.inBuffer, this.inBuffer + ENVELOPE_BYTES + VIRTIOFS_MAX_IO_BYTES);
    // Encoded in the DMA buffer itself (a WRITE's data is copied once, from the caller's buffer).
    const request = encodeFuseRequest({ unique, nodeid, uid: 0, gid: 0, pid: 1 }, body, room);
    if (request.length > room.length)
      throw new KernelError(Errno.E2BIG, `${this.name}: ${body.op} request of ${request.length} bytes`);
    const replyRoom = ENVELOPE_BYTES + VIRTIOFS_MAX_IO_BYTES;
    this.returned = -1;
    this.counters.requests++;
    this.requestQueue.add(
      [{ address: this.inBuffer, length: request.length }],
      [{ address: this.outBuffer, length: replyRoom }],
      Number(unique & 0xffffn),
    );
    if (this.requestQueue.publish()) this.transport.notify(FS_REQUEST_QUEUE);
    this.sched.block(() => {
      this.reap();
      return this.returned >= 0 || this.broken;
    });
    if (this.returned < 0) throw new KernelError(Errno.EIO, `${this.name}: device needs reset`);
    const written = Math.min(this.returned, replyRoom);
    const decoded = decodeFuseReply(this.mem.bytes.subarray(this.outBuffer, this.outBuffer + written), body.op, unique);
    if (decoded.reply.kind === 'error') {
      this.counters.errors++;
      throw new KernelError(decoded.reply.errno, `${this.name}: ${body.op}`);
    }
    return decoded.reply;
  }

  /** Drops `nlookup` lookup references on `nodeid` (FUSE_FORGET on the hiprio queue, no reply). */
  forget(nodeid: bigint, nlookup: bigint): void {
    if (this.broken || nlookup === 0n) return;
    if (this.busy) this.sched.block(() => !this.busy);
    this.busy = true;
    try {
      const request = encodeFuseRequest(
        { unique: this.nextUnique++, nodeid, uid: 0, gid: 0, pid: 1 },
        {
          op: 'forget',
          nlookup,
        },
      );
      this.mem.bytes.set(request, this.forgetBuffer);
      this.forgetReturned = false;
      this.counters.forgets++;
      this.hiprioQueue.add([{ address: this.forgetBuffer, length: request.length }], [], 0);
      if (this.hiprioQueue.publish()) this.transport.notify(FS_HIPRIO_QUEUE);
      // The buffer is reused: wait until the device has taken it back.
      this.sched.block(() => {
        this.reap();
        return this.forgetReturned || this.broken;
      });
    } finally {
      this.busy = false;
      this.idle.wakeAll();
    }
  }

  onInterrupt(): void {
    this.counters.interrupts++;
    if (this.transport.takeInterrupt() & INT_CONFIG && this.transport.needsReset()) this.broken = true;
    this.reap();
  }

  private reap(): void {
    let u;
    while ((u = this.requestQueue.takeUsed()) !== undefined) this.returned = u.writtenBytes;
    while (this.hiprioQueue.takeUsed() !== undefined) this.forgetReturned = true;
  }
}
