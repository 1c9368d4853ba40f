// What a virtio-fs device model serves its FUSE requests from: a host directory through
// node:fs (packages/vmm's NodeFsBackend), or anything else that answers FUSE. The device hands
// over requests it has validated with the codec; the back-end answers each with a reply (an
// errno is a reply too), or nothing for FORGET/BATCH_FORGET. Synchronous: a device thread may
// block in host I/O, the guest's vCPU never waits on it except through the queue.
import type { FuseRequest } from './fuse-request.js';
import type { FuseReply } from './fuse-reply.js';

export interface FuseBackend {
  /** The reply to `request`, or undefined when the op has none (FORGET, BATCH_FORGET). */
  handle(request: FuseRequest): FuseReply | undefined;
  /**
   * FUSE_READ of file handle `fh` at `offset` straight into `into` (guest RAM; `into.length` is
   * at most the size asked for): the bytes read, or the error reply. Optional; without it READ
   * goes through handle() and is copied.
   */
  readInto?(fh: bigint, offset: bigint, into: Uint8Array): number | FuseReply;
  /** Releases host resources (open files, directory handles). */
  close?(): void;
}
