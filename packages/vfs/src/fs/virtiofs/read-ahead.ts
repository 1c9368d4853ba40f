// Read-ahead of one open file over a FuseSession (Linux's fs/fuse reads ahead through the page
// cache the same way, up to the max_readahead FUSE_INIT agreed): a sequential reader's next
// READs, each of max_write bytes, are sent before it asks for them, `depth` at a time, so the
// device reads from the host while the reader copies and computes instead of one round trip
// between threads per read. A chunk's data stays in its request's DMA buffer until the reader has
// copied it out; then the request is released and the next chunk sent in its place. What is kept
// is only what was asked for ahead of a reader that is on its way to it: the file system drops
// the stream whenever the file changes under this guest (write, truncate) or is opened or closed,
// so the data is no older than a page cache's would be.
import { KernelError } from '@osv-ts/kernel-api';
import type { FuseSession, FuseTicket } from '@osv-ts/drivers-virtio';

interface AheadChunk {
  /** File offset of the chunk's first byte. */
  readonly offset: number;
  readonly ticket: FuseTicket;
  /** The reply's data once received (a view of the request's DMA buffer). */
  data: Uint8Array | undefined;
  /** Bytes already handed to the reader, from the front. */
  used: number;
}

export interface ReadAheadCounters {
  aheadRequests: number;
  aheadBytesUsed: number;
}

export class ReadAheadStream {
  private readonly chunks: AheadChunk[] = [];
  /** File offset of the next chunk to send. */
  private next: number;
  /** The device answered a chunk short: the file ends there (as far as the stream knows). */
  ended = false;
  /** A chunk's READ failed, or the stream was dropped: the reader asks for its range itself. */
  private failed = false;
  /** The file changed while a reader was blocked in the stream: it drops it when it wakes. */
  stale = false;

  constructor(
    private readonly session: FuseSession,
    private readonly nodeid: bigint,
    /** The FUSE file handle the READs go through. */
    readonly fh: bigint,
    /** Where the stream starts. */
    from: number,
    private readonly chunkBytes: number,
    private readonly depth: number,
    private readonly counters: ReadAheadCounters,
  ) {
    this.next = from;
  }

  /** The file offset the stream's reader is at (where its next read continues it). */
  get position(): number {
    const c = this.chunks[0];
    return c === undefined ? this.next : c.offset + c.used;
  }

  /** The stream has hit the end of the file or a failed READ: nothing more comes from it. */
  get exhausted(): boolean {
    return this.ended || this.failed || this.stale;
  }

  /** Marks the stream for its (blocked) reader to drop: what it holds may predate a change. */
  invalidate(): void {
    this.stale = true;
  }

  /** Sends chunks until `depth` are out, none starting at or past `limitBytes`. */
  fill(limitBytes: number): void {
    while (!this.exhausted && this.chunks.length < this.depth && this.next < limitBytes) {
      const ticket = this.session.send(this.nodeid, {
        op: 'read',
        fh: this.fh,
        offset: BigInt(this.next),
        size: this.chunkBytes,
      });
      if (ticket === undefined) break; // every request slot is out: the next fill sends it
      this.chunks.push({ offset: this.next, ticket, data: undefined, used: 0 });
      this.next += this.chunkBytes;
      this.counters.aheadRequests++;
    }
  }

  /**
   * Copies into `into` what the stream holds from `offset` (its position) on, waiting for the
   * chunks' replies, and sends the next chunk (below `limitBytes`) for each one used up: the
   * bytes copied. Fewer than asked: the stream ran out of chunks, hit the end of the file, or a
   * READ failed (see `exhausted`).
   */
  consume(offset: number, into: Uint8Array, limitBytes: number): number {
    let pos = offset;
    const end = offset + into.length;
    while (pos < end) {
      const c = this.chunks[0];
      if (c === undefined || c.offset + c.used !== pos) break;
      const data = c.data ?? this.receive(c);
      if (data === undefined) break;
      if (this.stale) {
        this.drop();
        break;
      }
      const n = Math.min(end - pos, data.length - c.used);
      into.set(data.subarray(c.used, c.used + n), pos - offset);
      c.used += n;
      pos += n;
      this.counters.aheadBytesUsed += n;
      if (c.used < data.length) break; // the reader has what it asked for
      this.chunks.shift();
      this.session.release(c.ticket);
      if (data.length < this.chunkBytes) {
        this.ended = true;
        break;
      }
      this.fill(limitBytes);
    }
    return pos - offset;
  }

  /** Lets every chunk go (their requests are released; the session reuses them once back). */
  drop(): void {
    for (const c of this.chunks) this.session.release(c.ticket);
    this.chunks.length = 0;
    this.failed = true;
  }

  /** The chunk's data, or undefined when its READ failed (or answered nonsense): dropped. */
  private receive(c: AheadChunk): Uint8Array | undefined {
    let data: Uint8Array | undefined;
    try {
      const r = this.session.receive(c.ticket);
      if (r.kind === 'data' && r.data.length <= this.chunkBytes) data = r.data;
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
    }
    if (data === undefined) this.drop();
    else c.data = data;
    return data;
  }
}
