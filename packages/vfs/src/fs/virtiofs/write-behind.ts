// Write-behind over a FuseSession: a sequential writer's WRITEs go out without waiting for their
// replies, up to `depth` at a time, so the device writes to the host while the writer copies its
// next chunk into a request buffer, instead of one round trip between threads per write. Linux's
// fs/fuse does the same with writeback_cache (WRITEs from the page cache, errors kept for fsync
// and close). The file system settles every WRITE out before any other request (settle()), so
// everything a write changed is on the host before the guest reads, stats, truncates, renames,
// syncs or closes. A WRITE's error, or a short one, is kept for its file and reported by that
// file's next write, fsync or close (Linux reports writeback errors at fsync and close).
//
// Blocking nests here: a request waited for (the app thread in the scheduler's block()) lets
// kernel threads run, and one of them may settle too. Each WRITE is received and released by the
// frame that claimed it; a nested frame that meets a WRITE an outer frame claimed only waits for
// its reply, so that every frame returns with all earlier WRITEs answered.
import { Errno, KernelError } from '@osv-ts/kernel-api';
import type { FuseSession, FuseTicket } from '@osv-ts/drivers-virtio';

/** Whose error a WRITE's failure is (the file system's per-file node). */
export interface WriteOwner {
  writeError: KernelError | undefined;
}

interface PendingWrite {
  readonly ticket: FuseTicket;
  readonly nodeid: bigint;
  readonly offset: number;
  readonly owner: WriteOwner;
  readonly bytes: number;
  claimed: boolean;
}

export interface WriteBehindCounters {
  /** WRITEs sent without waiting for their replies. */
  behindWrites: number;
  /** Errors (or short writes) found when a WRITE's reply came, kept for the file. */
  behindErrors: number;
}

export class WriteBehind {
  private readonly pending: PendingWrite[] = [];

  constructor(
    private readonly session: FuseSession,
    /** WRITEs out at most (0: none: every write waits for its reply). */
    readonly depth: number,
    private readonly counters: WriteBehindCounters,
  ) {}

  /** WRITEs out whose replies nobody has taken yet. */
  get outstanding(): number {
    return this.pending.length;
  }

  /**
   * Sends one WRITE of `data` (at most the session's maxIoBytes) without waiting for its reply:
   * false when it could not go out (no depth, or no request slot free); the caller writes it
   * through then, after settle().
   */
  send(nodeid: bigint, fh: bigint, offsetBytes: number, data: Uint8Array, owner: WriteOwner): boolean {
    if (this.depth === 0) return false;
    // Overlapping WRITEs never travel together: a device may answer a queue's requests in any
    // order (virtio 1.2 §2.7.14), and the later one must win.
    const end = offsetBytes + data.length;
    if (this.pending.some((p) => p.nodeid === nodeid && p.offset < end && offsetBytes < p.offset + p.bytes))
      this.settle();
    while (this.pending.length >= this.depth) if (!this.settleOne()) break;
    if (this.pending.length >= this.depth) return false;
    const ticket = this.session.send(nodeid, { op: 'write', fh, offset: BigInt(offsetBytes), data });
    if (ticket === undefined) return false;
    this.pending.push({ ticket, nodeid, offset: offsetBytes, owner, bytes: data.length, claimed: false });
    this.counters.behindWrites++;
    return true;
  }

  /** Returns once every WRITE sent so far is answered (and its error, if any, kept). */
  settle(): void {
    while (this.settleOne());
    // What is left, outer frames claimed: wait for their replies, which they will take.
    for (const p of [...this.pending]) {
      try {
        this.session.receive(p.ticket);
      } catch (e) {
        if (!(e instanceof KernelError)) throw e;
      }
    }
  }

  /** Takes the oldest unclaimed WRITE's reply; false when there is none. */
  private settleOne(): boolean {
    const p = this.pending.find((w) => !w.claimed);
    if (p === undefined) return false;
    p.claimed = true;
    try {
      const r = this.session.receive(p.ticket);
      if (r.kind !== 'write' || r.size !== p.bytes)
        this.fail(p.owner, new KernelError(Errno.EIO, 'virtiofs: short WRITE'));
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      this.fail(p.owner, e);
    } finally {
      this.pending.splice(this.pending.indexOf(p), 1);
      this.session.release(p.ticket);
    }
    return true;
  }

  private fail(owner: WriteOwner, error: KernelError): void {
    this.counters.behindErrors++;
    owner.writeError ??= error;
  }
}

/** Throws the error a file's earlier write left, once. */
export function takeWriteError(owner: WriteOwner): void {
  const e = owner.writeError;
  if (e === undefined) return;
  owner.writeError = undefined;
  throw new KernelError(e.errno, e.message);
}
