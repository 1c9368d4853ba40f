// virtio-fs driver (virtio 1.2 §5.11.5/§5.11.6): reads the mount tag, sets up the hiprio and
// the first request queue, and does the FUSE_INIT handshake; then `call` sends one FUSE request
// and blocks in the scheduler until the device returns its chain, and `forget` drops lookup
// references on the hiprio queue. Requests travel through request slots, each a pair of DMA
// buffers of the page allocator sized for the largest READ/WRITE the handshake agreed on (1 MiB
// asked for): one slot is made at init, more (up to `maxInFlight`) the first time `send` finds
// them all busy, so a sequential reader (the virtiofs read-ahead) can keep several READs in
// flight with `send`/`receive`/`release` while the device works on them in order (§2.7.14:
// the device may return chains in any order; each slot waits for its own). A request is encoded
// straight into its slot's buffer and a READ's data is handed back as a view of the reply
// buffer, so a WRITE's data is copied once (caller -> DMA) and a READ's once (DMA -> caller).
// Straight into the app's buffer is not possible: a WASI app's linear memory is not guest RAM.
// Replies are decoded with the FUSE codec and trusted no further than it checks.
import { Errno, KernelError } from '@osv-ts/kernel-api';
import { WaitQueue, type Scheduler } from '@osv-ts/core-sched';
import type { GuestMemory } from '../guest-memory.js';
import type { GuestVirtqueue } from '../guest/guest-virtqueue.js';
import type { DmaAllocator, VirtioMmioTransport } from '../guest/mmio-transport.js';
import { Feature, INT_CONFIG, bit } from '../mmio/registers.js';
import { FUSE_KERNEL_MINOR_VERSION, FUSE_KERNEL_VERSION, FUSE_ROOT_ID, FuseInitFlag, FuseSize } from './fuse-abi.js';
import { decodeFuseReply, type FuseReplyBody } from './fuse-reply.js';
import { encodeFuseRequest, type FuseRequestBody } from './fuse-request.js';
import type { FuseSession, FuseTicket } from './fuse-session.js';
import { FS_HIPRIO_QUEUE, FS_REQUEST_QUEUE, FS_TAG_BYTES, FsConfig } from './virtiofs-format.js';

/** Largest READ/WRITE payload asked for (the device may agree to less). */
export const VIRTIOFS_MAX_IO_BYTES = 1024 * 1024;
/** Read-ahead asked for in FUSE_INIT (the device may allow less, or none). */
export const VIRTIOFS_MAX_READAHEAD_BYTES = 4 * 1024 * 1024;
/** Room for the fixed structures and two names around a payload. */
const ENVELOPE_BYTES = 8192;

/** Requests in flight at most by default: one for `call` and four READs of a read-ahead. */
export const VIRTIOFS_MAX_IN_FLIGHT = 5;

export interface VirtioFsDriverOptions {
  /** Request slots at most (requests in flight at once), each with 2 buffers of max_write. */
  readonly maxInFlight?: number;
}

/** One request's pair of DMA buffers and where it stands. */
interface Slot {
  readonly ticket: FuseTicket;
  readonly inBuffer: number;
  readonly outBuffer: number;
  /** Bytes of each buffer. */
  readonly roomBytes: number;
  /** A caller holds it (between send and release). */
  held: boolean;
  /** The device has the chain (added, not yet in the used ring). */
  inFlight: boolean;
  /** Bytes the device wrote (valid once it is back). */
  written: number;
  unique: bigint;
  op: FuseRequestBody['op'];
}

export class VirtioFsDriver implements FuseSession {
  tag = '';
  /** Largest READ/WRITE payload, as agreed in FUSE_INIT. */
  maxIoBytes = VIRTIOFS_MAX_IO_BYTES;
  /** What the device lets a sequential reader request ahead (FUSE_INIT max_readahead). */
  maxReadaheadBytes = 0;
  readonly maxInFlight: number;
  readonly counters = { requests: 0, forgets: 0, errors: 0, interrupts: 0, slots: 0, maxInFlight: 0 };
  private requestQueue!: GuestVirtqueue<number>;
  private hiprioQueue!: GuestVirtqueue<number>;
  private readonly slots: Slot[] = [];
  private inFlight = 0;
  private forgetBuffer = 0;
  private nextUnique = 1n;
  private forgetBusy = false;
  private forgetReturned = false;
  private broken = false;
  readonly idle = new WaitQueue('virtio-fs');

  constructor(
    readonly name: string,
    private readonly transport: VirtioMmioTransport,
    private readonly mem: GuestMemory,
    private readonly dma: DmaAllocator,
    private readonly sched: Scheduler,
    options: VirtioFsDriverOptions = {},
  ) {
    this.maxInFlight = Math.max(1, options.maxInFlight ?? VIRTIOFS_MAX_IN_FLIGHT);
  }

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
    // Two descriptors a request (no INDIRECT_DESC asked for): room for every slot's chain.
    this.requestQueue = t.setupQueue<number>(FS_REQUEST_QUEUE, ringSize(2 * this.maxInFlight), this.dma);
    this.addSlot(ENVELOPE_BYTES + VIRTIOFS_MAX_IO_BYTES);
    this.forgetBuffer = this.dma.alloc(FuseSize.inHeader + FuseSize.forgetIn);
    t.driverOk();
    const init = this.call(FUSE_ROOT_ID, {
      op: 'init',
      major: FUSE_KERNEL_VERSION,
      minor: FUSE_KERNEL_MINOR_VERSION,
      maxReadahead: VIRTIOFS_MAX_READAHEAD_BYTES,
      flags: FuseInitFlag.BIG_WRITES | FuseInitFlag.MAX_PAGES,
    });
    if (init.kind !== 'init' || init.major !== FUSE_KERNEL_VERSION)
      throw new KernelError(
        Errno.EPROTO,
        `${this.name}: the device speaks FUSE ${init.kind === 'init' ? init.major : '?'}`,
      );
    this.maxIoBytes = Math.max(4096, Math.min(VIRTIOFS_MAX_IO_BYTES, init.maxWrite));
    this.maxReadaheadBytes = Math.min(VIRTIOFS_MAX_READAHEAD_BYTES, init.maxReadahead);
  }

  /**
   * Sends one request and returns the result; an error reply throws KernelError with its errno,
   * and a reply the codec refuses throws FuseFormatError (EIO).
   */
  call(nodeid: bigint, body: FuseRequestBody): FuseReplyBody {
    let ticket = this.send(nodeid, body);
    if (ticket === undefined) {
      this.sched.block(() => this.freeSlot() !== undefined || this.broken);
      ticket = this.send(nodeid, body);
      if (ticket === undefined) throw new KernelError(Errno.EIO, `${this.name}: device needs reset`);
    }
    try {
      return this.receive(ticket);
    } finally {
      this.release(ticket);
    }
  }

  /**
   * Sends a request without waiting for its reply: a ticket for receive() and release(), or
   * undefined when `maxInFlight` requests are out already (or no DMA memory is left for
   * another slot).
   */
  send(nodeid: bigint, body: FuseRequestBody): FuseTicket | undefined {
    if (this.broken) throw new KernelError(Errno.EIO, `${this.name}: device needs reset`);
    const slot = this.freeSlot() ?? this.newSlot();
    if (slot === undefined) return undefined;
    const unique = this.nextUnique++;
    const room = this.mem.bytes.subarray(slot.inBuffer, slot.inBuffer + slot.roomBytes);
    // Encoded in the DMA buffer itself (a WRITE's data is copied once, from the caller's buffer).
    const request = encodeFuseRequest({ unique, nodeid, uid: 0, gid: 0, pid: 1 }, body, room);
    if (request.length > room.length)
      throw new KernelError(Errno.E2BIG, `${this.name}: ${body.op} request of ${request.length} bytes`);
    slot.held = true;
    slot.inFlight = true;
    slot.written = -1;
    slot.unique = unique;
    slot.op = body.op;
    this.counters.requests++;
    if (++this.inFlight > this.counters.maxInFlight) this.counters.maxInFlight = this.inFlight;
    this.requestQueue.add(
      [{ address: slot.inBuffer, length: request.length }],
      [{ address: slot.outBuffer, length: slot.roomBytes }],
      slot.ticket,
    );
    if (this.requestQueue.publish()) this.transport.notify(FS_REQUEST_QUEUE);
    return slot.ticket;
  }

  /**
   * Waits for the reply to `ticket`: an error reply throws KernelError with its errno. The data
   * of a READ reply is a view of the slot's buffer, valid until release(ticket).
   */
  receive(ticket: FuseTicket): FuseReplyBody {
    const slot = this.slots[ticket];
    if (slot === undefined || !slot.held) throw new KernelError(Errno.EINVAL, `${this.name}: no request ${ticket}`);
    if (slot.inFlight)
      this.sched.block(() => {
        this.reap();
        return !slot.inFlight || this.broken;
      });
    if (slot.inFlight) throw new KernelError(Errno.EIO, `${this.name}: device needs reset`);
    const written = Math.min(slot.written, slot.roomBytes);
    const decoded = decodeFuseReply(
      this.mem.bytes.subarray(slot.outBuffer, slot.outBuffer + written),
      slot.op,
      slot.unique,
    );
    if (decoded.reply.kind === 'error') {
      this.counters.errors++;
      throw new KernelError(decoded.reply.errno, `${this.name}: ${slot.op}`);
    }
    return decoded.reply;
  }

  /** Gives the slot of `ticket` back (once the device has returned it, if it still holds it). */
  release(ticket: FuseTicket): void {
    const slot = this.slots[ticket];
    if (slot === undefined || !slot.held) return;
    slot.held = false;
    if (!slot.inFlight) this.idle.wakeAll();
  }

  /** Drops `nlookup` lookup references on `nodeid` (FUSE_FORGET on the hiprio queue, no reply). */
  forget(nodeid: bigint, nlookup: bigint): void {
    if (this.broken || nlookup === 0n) return;
    if (this.forgetBusy) this.sched.block(() => !this.forgetBusy);
    this.forgetBusy = true;
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
      this.forgetBusy = false;
      this.idle.wakeAll();
    }
  }

  onInterrupt(): void {
    this.counters.interrupts++;
    if (this.transport.takeInterrupt() & INT_CONFIG && this.transport.needsReset()) this.broken = true;
    this.reap();
  }

  private freeSlot(): Slot | undefined {
    for (const s of this.slots) if (!s.held && !s.inFlight) return s;
    return undefined;
  }

  /** Another slot, sized for the agreed max_write, while fewer than maxInFlight exist. */
  private newSlot(): Slot | undefined {
    if (this.slots.length >= this.maxInFlight) return undefined;
    try {
      return this.addSlot(ENVELOPE_BYTES + this.maxIoBytes);
    } catch (e) {
      if (e instanceof KernelError && e.errno === Errno.ENOMEM) return undefined;
      throw e;
    }
  }

  private addSlot(roomBytes: number): Slot {
    const inBuffer = this.dma.alloc(roomBytes);
    let outBuffer;
    try {
      outBuffer = this.dma.alloc(roomBytes);
    } catch (e) {
      this.dma.free(inBuffer);
      throw e;
    }
    const slot: Slot = {
      ticket: this.slots.length,
      inBuffer,
      outBuffer,
      roomBytes,
      held: false,
      inFlight: false,
      written: -1,
      unique: 0n,
      op: 'init',
    };
    this.slots.push(slot);
    this.counters.slots = this.slots.length;
    return slot;
  }

  private reap(): void {
    let u;
    while ((u = this.requestQueue.takeUsed()) !== undefined) {
      const slot = this.slots[u.token];
      if (slot === undefined || !slot.inFlight) continue;
      slot.written = u.writtenBytes;
      slot.inFlight = false;
      this.inFlight--;
      if (!slot.held) this.idle.wakeAll();
    }
    while (this.hiprioQueue.takeUsed() !== undefined) this.forgetReturned = true;
  }
}

/** The smallest power of two (a split ring's size, §2.7) holding `descriptors`, at least 8. */
function ringSize(descriptors: number): number {
  let n = 8;
  while (n < descriptors) n *= 2;
  return n;
}
