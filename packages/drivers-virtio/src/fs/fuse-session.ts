// What the virtiofs file system needs of its transport: FUSE requests answered or refused with
// an errno, one at a time (`call`) or several in flight (`send`, then `receive` and `release`
// each ticket, up to `maxInFlight`, which a sequential reader uses to read ahead). The virtio-fs driver carries requests through virtqueues to a device
// model; DirectFuseSession hands them to a back-end on the same thread (the inprocess target,
// where @osv-ts/osv's runWasm preopens host directories through the back-end osv run --share
// uses), with the same encoding checks in between.
import { Errno, KernelError } from '@osv-ts/kernel-api';
import type { FuseBackend } from './fuse-backend.js';
import { FUSE_KERNEL_MINOR_VERSION, FUSE_KERNEL_VERSION, FUSE_ROOT_ID, FuseInitFlag } from './fuse-abi.js';
import type { FuseReplyBody } from './fuse-reply.js';
import { decodeFuseRequest, encodeFuseRequest, type FuseRequest, type FuseRequestBody } from './fuse-request.js';

/** A request sent and not yet released (FuseSession.send). */
export type FuseTicket = number;

export interface FuseSession {
  /** Largest READ/WRITE payload, as agreed in FUSE_INIT. */
  readonly maxIoBytes: number;
  /** Bytes the device lets a sequential reader request ahead (FUSE_INIT max_readahead). */
  readonly maxReadaheadBytes: number;
  /** Requests that can be out at once (send returns undefined beyond it). */
  readonly maxInFlight: number;
  /** The reply; an error reply throws KernelError with its errno. */
  call(nodeid: bigint, body: FuseRequestBody): FuseReplyBody;
  /** Sends a request without waiting: a ticket, or undefined when maxInFlight are out. */
  send(nodeid: bigint, body: FuseRequestBody): FuseTicket | undefined;
  /**
   * Waits for the reply to `ticket` (an error reply throws KernelError with its errno); the data
   * of a READ reply stays valid until release(ticket).
   */
  receive(ticket: FuseTicket): FuseReplyBody;
  /** Ends `ticket` (received or not). */
  release(ticket: FuseTicket): void;
  /** Drops `nlookup` lookup references on `nodeid` (FUSE_FORGET, no reply). */
  forget(nodeid: bigint, nlookup: bigint): void;
}

/** Largest READ/WRITE asked of a back-end on the same thread. */
const DIRECT_MAX_IO_BYTES = 1024 * 1024;

export class DirectFuseSession implements FuseSession {
  readonly maxIoBytes: number;
  /** A back-end on this thread answers at once: nothing to overlap, no read-ahead. */
  readonly maxInFlight = 1;
  readonly maxReadaheadBytes = 0;
  private nextUnique = 1n;
  private sent: { reply: FuseReplyBody } | { error: unknown } | undefined;

  /** Does the FUSE_INIT handshake with `backend`. */
  constructor(private readonly backend: FuseBackend) {
    const init = this.call(FUSE_ROOT_ID, {
      op: 'init',
      major: FUSE_KERNEL_VERSION,
      minor: FUSE_KERNEL_MINOR_VERSION,
      maxReadahead: DIRECT_MAX_IO_BYTES,
      flags: FuseInitFlag.BIG_WRITES | FuseInitFlag.MAX_PAGES,
    });
    this.maxIoBytes = init.kind === 'init' ? Math.max(4096, Math.min(DIRECT_MAX_IO_BYTES, init.maxWrite)) : 4096;
  }

  call(nodeid: bigint, body: FuseRequestBody): FuseReplyBody {
    const reply = this.backend.handle(this.request(nodeid, body));
    if (reply === undefined) throw new KernelError(Errno.EIO, `virtiofs: ${body.op} got no reply`);
    if (reply.kind === 'error') throw new KernelError(reply.errno, `virtiofs: ${body.op}`);
    return reply;
  }

  send(nodeid: bigint, body: FuseRequestBody): FuseTicket | undefined {
    if (this.sent !== undefined) return undefined;
    try {
      this.sent = { reply: this.call(nodeid, body) };
    } catch (error) {
      this.sent = { error };
    }
    return 0;
  }

  receive(ticket: FuseTicket): FuseReplyBody {
    const sent = this.sent;
    if (ticket !== 0 || sent === undefined) throw new KernelError(Errno.EINVAL, `virtiofs: no request ${ticket}`);
    if ('error' in sent) throw sent.error;
    return sent.reply;
  }

  release(ticket: FuseTicket): void {
    if (ticket === 0) this.sent = undefined;
  }

  forget(nodeid: bigint, nlookup: bigint): void {
    if (nlookup === 0n) return;
    this.backend.handle(this.request(nodeid, { op: 'forget', nlookup }));
  }

  /** Through the codec, as over a virtqueue: the back-end gets what a device would decode. */
  private request(nodeid: bigint, body: FuseRequestBody): FuseRequest {
    const header = { unique: this.nextUnique++, nodeid, uid: 0, gid: 0, pid: 1 };
    const decoded = decodeFuseRequest(encodeFuseRequest(header, body));
    if (decoded.body === undefined) throw new KernelError(Errno.ENOSYS, `virtiofs: ${body.op} has no opcode`);
    return decoded;
  }
}
